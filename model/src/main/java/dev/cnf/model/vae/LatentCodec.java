package dev.cnf.model.vae;

import ai.djl.ndarray.NDArray;

/** Images in [-1, 1] to the diffusion space and back: the VAE, or the tiny preset's stand-in. */
public interface LatentCodec {
    /** [N,3,H,W] → [N,latentChannels,H/f,W/f], already scaled for diffusion. */
    NDArray encode(NDArray images);

    NDArray decode(NDArray latents);

    /** f: pixels per latent along each side. */
    int downsampling();

    /**
     * Whether training's encoding cache should keep this codec's latents in object storage: true for a network (the VAE),
     * false for a parameter-free transform whose output costs less to compute than to fetch.
     */
    default boolean worthStoring() {
        return true;
    }
}
