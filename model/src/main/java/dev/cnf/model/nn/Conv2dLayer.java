package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** 2-D convolution with PyTorch's weight layout (out, in, kh, kw) and "same" padding for odd kernels unless told otherwise. */
public final class Conv2dLayer extends NamedBlock {
    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int padding;

    public Conv2dLayer(int in, int out, int kernel, int stride, boolean zeroInit) {
        this(in, out, kernel, stride, kernel / 2, zeroInit);
    }

    public Conv2dLayer(int in, int out, int kernel, int stride, int padding, boolean zeroInit) {
        this.stride = stride;
        this.padding = padding;
        long fanIn = (long) in * kernel * kernel;
        Init init = zeroInit ? Init.ZEROS : Init.UNIFORM_FAN_IN;
        weight = param("weight", new Shape(out, in, kernel, kernel), init, fanIn);
        bias = param("bias", new Shape(out), init, fanIn);
    }

    public static Conv2dLayer conv3x3(int in, int out) {
        return new Conv2dLayer(in, out, 3, 1, false);
    }

    /** ControlNet's zero convolution: a 1x1 conv whose weight and bias start at exactly zero. */
    public static Conv2dLayer zeroConv(int channels) {
        return new Conv2dLayer(channels, channels, 1, 1, true);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return Conv2d.conv2d(x, value(ps, weight, x, training), value(ps, bias, x, training),
                new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1);
    }
}
