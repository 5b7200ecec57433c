package dev.cnf.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/**
 * A frozen AutoencoderKL as the latent codec. Encoding takes the posterior mean (not a sample), so
 * training data is a deterministic function of the image; latents are scaled by the config's factor.
 */
public final class VaeCodec implements LatentCodec {
    private final AutoencoderKL vae;
    private final ParameterStore ps;

    public VaeCodec(AutoencoderKL vae, ParameterStore ps) {
        this.vae = vae;
        this.ps = ps;
    }

    public AutoencoderKL vae() {
        return vae;
    }

    @Override
    public NDArray encode(NDArray images) {
        return vae.encode(ps, images, null, false);
    }

    @Override
    public NDArray decode(NDArray latents) {
        return vae.decode(ps, latents, false);
    }

    @Override
    public int downsampling() {
        return vae.config().downsampling();
    }
}
