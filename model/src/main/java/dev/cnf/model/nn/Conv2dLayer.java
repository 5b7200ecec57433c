package dev.cnf.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** 2-D convolution with PyTorch's weight layout (out, in, kh, kw) and "same" padding for odd kernels unless told otherwise. */
public final class Conv2dLayer extends NamedBlock {
    private final Parameter weight;
    private final Parameter bias;
    private final int out;
    private final int stride;
    private final int padding;

    /**
     * On the CPU, a convolution whose output-channel count is not a multiple of this runs with zero-weight channels
     * added (and sliced off again) while autograd records. PyTorch 2.7.1's oneDNN (v3.7.1) computes the gradient with
     * respect to the input 14-85% wrong, sometimes NaN, for such convolutions on some AVX-512 CPUs (AMD EPYC; see
     * bench/repro/onednn_conv_backward.py): SD's conv_out (320 to 4) sits on every ControlNet gradient's path. With the
     * count a multiple of 16 the same kernels are right. Inference and GPUs take the plain call.
     */
    static final int CPU_OUT_CHANNEL_MULTIPLE = 16;

    public Conv2dLayer(int in, int out, int kernel, int stride, boolean zeroInit) {
        this(in, out, kernel, stride, kernel / 2, zeroInit);
    }

    public Conv2dLayer(int in, int out, int kernel, int stride, int padding, boolean zeroInit) {
        this.out = out;
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
        observed(inputs);
        NDArray x = inputs.singletonOrThrow();
        NDArray w = value(ps, weight, x, training);
        NDArray b = value(ps, bias, x, training);
        int extra = out % CPU_OUT_CHANNEL_MULTIPLE == 0 ? 0 : CPU_OUT_CHANNEL_MULTIPLE - out % CPU_OUT_CHANNEL_MULTIPLE;
        if (extra == 0 || !x.getDevice().equals(Device.cpu()) || !JniUtils.isGradMode()) {
            return conv(x, w, b);
        }
        Shape ws = w.getShape();
        // torch-owned zeros; cat keeps no reference to its inputs for the backward pass
        try (NDArray wz = w.getManager().zeros(new Shape(extra, ws.get(1), ws.get(2), ws.get(3)), w.getDataType());
             NDArray bz = b.getManager().zeros(new Shape(extra), b.getDataType());
             NDArray wp = w.concat(wz, 0);
             NDArray bp = b.concat(bz, 0)) {
            NDList y = conv(x, wp, bp);
            return new NDList(y.singletonOrThrow().get(new NDIndex(":, :{}", out)));
        }
    }

    private NDList conv(NDArray x, NDArray w, NDArray b) {
        return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1);
    }
}
