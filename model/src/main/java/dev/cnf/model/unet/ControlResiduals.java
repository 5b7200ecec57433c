package dev.cnf.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import java.util.List;

/**
 * What a ControlNet adds to the UNet, as diffusers names it: {@code down_block_res_samples} (one per skip of the
 * encoder) and {@code mid_block_res_sample}, already scaled.
 */
public record ControlResiduals(List<NDArray> down, NDArray mid) {
    public ControlResiduals {
        down = List.copyOf(down);
    }

    /** As the positional inputs {@link UNet} takes after (sample, timesteps, text). */
    public NDList asList() {
        NDList all = new NDList(down.toArray(NDArray[]::new));
        all.add(mid);
        return all;
    }
}
