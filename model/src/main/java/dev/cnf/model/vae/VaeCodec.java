package dev.cnf.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/**
 * A frozen AutoencoderKL as the latent codec. Encoding takes the posterior mean (not a sample), so
 * training data is a deterministic function of the image; latents are scaled by the config's factor.
 */
public final class VaeCodec implements LatentCodec {
    private final AutoencoderKL vae;

    public VaeCodec(AutoencoderKL vae) {
        this.vae = vae;
    }

    public AutoencoderKL vae() {
        return vae;
    }

    @Override
    public NDArray encode(NDArray images) {
        return vae.encode(store(images), images, null, false);
    }

    @Override
    public NDArray decode(NDArray latents) {
        return vae.decode(store(latents), latents, false);
    }

    /**
     * A store per call: a ParameterStore keeps the arrays it first saw, so a long-lived one would go on serving the
     * float32 weights after {@code BaseModel#castTo} replaced them.
     */
    private static ParameterStore store(NDArray like) {
        return new ParameterStore(like.getManager(), false);
    }

    @Override
    public int downsampling() {
        return vae.config().downsampling();
    }
}
