package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Four of libtorch's fused kernels that DJL 0.36's JNI does not expose, and two things its API cannot do: set a
 * gradient to none ({@link #clearGradient}) and read strides ({@link #strides}). {@code silu}, {@code group_norm} and
 * {@code scaled_dot_product_attention} are the ones diffusers runs: composed from DJL's ops they took 2, about 8 and
 * about 10 JNI calls and autograd nodes each, and attention kept its L x S score matrix for the backward pass (tiny-sd's
 * training step spent 157 ms in cnf's attention over 3 profiled steps where diffusers' fused kernel took 90).
 * {@code _fused_adamw_} is torch.optim.AdamW(fused=True)'s step: one pass over each parameter where DJL's ops make about
 * fourteen ({@code AdamW}).
 *
 * <p>How: libtorch exports each operator's dispatcher entry, {@code at::_ops::<op>::call}, the function {@code at::<op>}
 * itself calls (autograd records it like any other op). cnf calls it through JNA, by its mangled name, under the
 * x86-64 System V C++ ABI: an {@code at::Tensor} is one pointer to its {@code TensorImpl} and, having a destructor, is
 * returned through a hidden first argument; {@code const Tensor&} is a pointer to a Tensor, which is what DJL's handle
 * is ({@code torch::Tensor*}); {@code std::optional<Tensor>} is the Tensor followed by an engaged flag, and
 * {@code std::optional<double>} is passed by value as {double, bool}, a {@code TensorList} ({@code c10::ArrayRef}) as
 * {pointer to the first Tensor, count}. The result goes into a Tensor allocated with
 * libstdc++'s {@code operator new}, which DJL deletes when the array closes, as it does its own.
 *
 * <p>Where: Linux on x86-64 with a libtorch that exports these symbols (DJL's own 2.7.1 build, or the one DJL's JNI
 * was built against; libc10 for {@code TensorImpl::mutable_grad} and the undefined tensor). Elsewhere, or for inputs
 * outside what {@link #accepts} checks, the callers compose the op from DJL's ops as before (same results to float
 * rounding; {@code LibtorchOpsTest} compares both, forward and backward), gradients are zeroed rather than cleared, and
 * one info line says so. {@link #composedOnThisThread} forces the composed forms, for tests.
 *
 * <p>Limits: a C++ exception cannot cross JNA, so every libtorch check these ops make (ranks, shapes, dtypes, devices)
 * is made here first; one that still failed (a failed allocation) would end the process rather than raise an
 * exception. The backward passes run inside DJL's own {@code backward} call, which catches as usual.
 */
public final class LibtorchOps {
    private static final Logger LOG = LoggerFactory.getLogger(LibtorchOps.class);
    private static final String SILU = "_ZN2at4_ops4silu4callERKNS_6TensorE";
    private static final String GROUP_NORM = "_ZN2at4_ops10group_norm4callERKNS_6TensorElRKSt8optionalIS2_ES8_db";
    private static final String SDPA =
            "_ZN2at4_ops28scaled_dot_product_attention4callERKNS_6TensorES4_S4_RKSt8optionalIS2_EdbS5_IdEb";
    private static final String FUSED_ADAMW =
            "_ZN2at4_ops13_fused_adamw_4callEN3c108ArrayRefINS_6TensorEEES5_S5_S5_S5_S5_dddddbbRKSt8optionalIS4_ES9_";
    private static final String STRIDE = "_ZN2at4_ops10stride_int4callERKNS_6TensorEl";
    private static final String MUTABLE_GRAD = "_ZN3c1010TensorImpl12mutable_gradEv";
    private static final String UNDEFINED_TENSOR = "_ZN3c1019UndefinedTensorImpl10_singletonE";
    /** sizeof(std::optional<at::Tensor>) and the engaged flag's offset, libstdc++'s layout. */
    private static final int OPTIONAL_TENSOR_BYTES = 16, ENGAGED_AT = 8;
    private static final Pointer NO_TENSOR = zeroed(OPTIONAL_TENSOR_BYTES);
    private static final ThreadLocal<Boolean> COMPOSED = ThreadLocal.withInitial(() -> false);

    private LibtorchOps() {}

    /** std::optional&lt;double&gt;, passed by value (two eightbytes: SSE, INTEGER). */
    public static final class OptionalDouble extends Structure implements Structure.ByValue {
        public double value;
        public byte engaged;

        @Override
        protected List<String> getFieldOrder() {
            return List.of("value", "engaged");
        }
    }

    /** c10::ArrayRef&lt;Tensor&gt; (a TensorList), passed by value: the first Tensor's address and the count. */
    public static final class TensorList extends Structure implements Structure.ByValue {
        public Pointer data;
        public long length;

        @Override
        protected List<String> getFieldOrder() {
            return List.of("data", "length");
        }
    }

    /** The resolved entry points; null fields never occur (all or nothing). */
    private record Entry(Function silu, Function groupNorm, Function attention, Function adamW, Function operatorNew,
                         Function mutableGrad, Pointer undefinedTensor, Function stride) {}

    private static final class Holder {
        static final Entry ENTRY = resolve();
    }

    /** Whether the fused ops run on this thread: found in this process and not turned off by {@link #composedOnThisThread}. */
    public static boolean available() {
        return entry() != null;
    }

    /**
     * Until the returned handle is closed, this thread composes the ops from DJL's as if the fused ones were absent
     * (tests compare the two forms).
     */
    public static AutoCloseable composedOnThisThread() {
        boolean before = COMPOSED.get();
        COMPOSED.set(true);
        return () -> COMPOSED.set(before);
    }

    private static Entry resolve() {
        if (!Platform.isLinux() || !Platform.isIntel() || !Platform.is64Bit()) {
            LOG.info("libtorch's fused silu, group_norm, attention and AdamW need Linux on x86-64 (their C++ calling "
                    + "convention); composing them from DJL's ops instead");
            return null;
        }
        try {
            Path torch = Path.of(LibUtils.getLibtorchPath(), "libtorch_cpu.so");
            if (!Files.isRegularFile(torch)) {
                LOG.info("no {}; composing silu, group_norm, attention and AdamW from DJL's ops", torch);
                return null;
            }
            // the library the engine loaded (dlopen of a loaded path returns that copy)
            NativeLibrary lib = NativeLibrary.getInstance(torch.toString());
            NativeLibrary c10 = NativeLibrary.getInstance(Path.of(LibUtils.getLibtorchPath(), "libc10.so").toString());
            return new Entry(lib.getFunction(SILU), lib.getFunction(GROUP_NORM), lib.getFunction(SDPA),
                    lib.getFunction(FUSED_ADAMW), NativeLibrary.getInstance("stdc++").getFunction("_Znwm"),
                    c10.getFunction(MUTABLE_GRAD), c10.getGlobalVariableAddress(UNDEFINED_TENSOR), lib.getFunction(STRIDE));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.info("libtorch's fused silu, group_norm, attention or AdamW not found ({}); composing them from DJL's ops",
                    e.getMessage());
            return null;
        }
    }

    private static Entry entry() {
        return COMPOSED.get() ? null : Holder.ENTRY;
    }

    /** torch.nn.functional.silu, or null where it cannot run here (the caller composes it). */
    public static NDArray silu(NDArray x) {
        Entry e = entry();
        if (e == null || !accepts(x)) {
            return null;
        }
        return call(e, e.silu(), x, ptr(x));
    }

    /**
     * torch.nn.functional.group_norm over x [N, C, ...] with a per-channel affine, or null where it cannot run here:
     * C not a multiple of the groups, or weight and bias not [C] of x's type and device.
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        Entry e = entry();
        Shape s = x.getShape();
        if (e == null || !accepts(x, weight, bias) || s.dimension() < 2 || groups <= 0 || s.get(1) % groups != 0
                || !weight.getShape().equals(new Shape(s.get(1))) || !bias.getShape().equals(weight.getShape())) {
            return null;
        }
        try (Memory affine = new Memory(2L * OPTIONAL_TENSOR_BYTES)) {
            Pointer w = engaged(affine, 0, weight);
            Pointer b = engaged(affine, OPTIONAL_TENSOR_BYTES, bias);
            return call(e, e.groupNorm(), x, ptr(x), (long) groups, w, b, eps, true);
        }
    }

    /**
     * softmax(q kᵀ / √d + mask) v: q [N,H,L,d], k [N,H,S,d], v [N,H,S,dv] → [N,H,L,dv]; mask (optional) adds to the
     * scores and broadcasts to [N,H,L,S]. Null where it cannot run here (the caller composes it).
     */
    public static NDArray scaledDotProductAttention(NDArray q, NDArray k, NDArray v, NDArray mask) {
        Entry e = entry();
        if (e == null || !accepts(q, k, v) || !attentionShapes(q.getShape(), k.getShape(), v.getShape(), mask)
                || mask != null && !accepts(q, mask)) {
            return null;
        }
        OptionalDouble scale = new OptionalDouble(); // nullopt: 1/√d, the scale diffusers passes
        Pointer maskArg = NO_TENSOR;
        try (Memory m = mask == null ? null : new Memory(OPTIONAL_TENSOR_BYTES)) {
            if (m != null) {
                maskArg = engaged(m, 0, mask);
            }
            return call(e, e.attention(), q, ptr(q), ptr(k), ptr(v), maskArg, 0.0, false, scale, false);
        }
    }

    /**
     * torch.optim.AdamW(fused=True)'s step, in place, for every parameter at once: decoupled decay, moments, bias
     * corrections and the update in one pass over each tensor (libtorch's {@code _fused_adamw_}). {@code step} is the
     * 1-based step count. False, with nothing changed, where it cannot run here: the caller steps the composed way.
     * Every list is float32, contiguous in practice (parameters, their gradients, views of flat moment buffers), one
     * device, with equal shapes per index.
     */
    public static boolean adamW(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvgs, List<NDArray> expAvgSqs,
                                int step, double lr, double beta1, double beta2, double weightDecay, double eps) {
        Entry e = entry();
        int n = params.size();
        if (e == null || n == 0 || grads.size() != n || expAvgs.size() != n || expAvgSqs.size() != n || step < 1) {
            return false;
        }
        NDArray first = params.get(0);
        for (int i = 0; i < n; i++) {
            NDArray p = params.get(i);
            if (p.getDataType() != DataType.FLOAT32 || !accepts(first, p, grads.get(i), expAvgs.get(i), expAvgSqs.get(i))
                    || !grads.get(i).getShape().equals(p.getShape()) || expAvgs.get(i).size() != p.size()
                    || expAvgSqs.get(i).size() != p.size()) {
                return false;
            }
        }
        try (NDArray stepCount = Scalars.of(first, (float) step);
             Memory lists = new Memory(5L * n * Native.POINTER_SIZE)) {
            TensorList[] args = new TensorList[5];
            List<List<NDArray>> columns = List.of(params, grads, expAvgs, expAvgSqs, java.util.Collections.nCopies(n, stepCount));
            for (int c = 0; c < 5; c++) {
                Pointer at = lists.share((long) c * n * Native.POINTER_SIZE);
                for (int i = 0; i < n; i++) { // borrowed TensorImpls, read only by the call
                    at.setPointer((long) i * Native.POINTER_SIZE, ptr(columns.get(c).get(i)).getPointer(0));
                }
                args[c] = new TensorList();
                args[c].data = at;
                args[c].length = n;
            }
            TensorList none = new TensorList(); // no max_exp_avg_sqs: amsgrad off
            e.adamW().invoke(Void.class, new Object[] {args[0], args[1], args[2], args[3], none, args[4],
                    lr, beta1, beta2, weightDecay, eps, false, false, NO_TENSOR, NO_TENSOR});
            return true;
        }
    }

    /**
     * Sets a leaf's gradient to none, as torch's {@code zero_grad(set_to_none=True)} (its default) does, instead of
     * writing zeros into it: the next backward pass then hands its fresh gradient over instead of adding it to a zeroed
     * one, which saves two passes over every gradient a step. Reading the gradient before then gives zeros (DJL's
     * {@code getGradient}). False, with nothing changed, where it cannot run here: the caller zeroes the gradient.
     *
     * <p>How: {@code TensorImpl::mutable_grad()} returns the leaf's gradient slot, an {@code at::Tensor}. Its reference
     * moves into a Tensor allocated here, which DJL's delete releases (the memory goes back unless another handle still
     * holds the gradient), and the slot gets the undefined tensor, {@code UndefinedTensorImpl}'s singleton, which is
     * not reference-counted.
     */
    public static boolean clearGradient(NDArray leaf) {
        Entry e = entry();
        if (e == null || !(leaf instanceof PtNDArray) || !leaf.hasGradient()) {
            return false;
        }
        Pointer slot = e.mutableGrad().invokePointer(new Object[] {ptr(leaf).getPointer(0)});
        Pointer gradient = slot.getPointer(0);
        if (gradient.equals(e.undefinedTensor())) {
            return true;
        }
        Pointer owner = e.operatorNew().invokePointer(new Object[] {(long) Native.POINTER_SIZE});
        owner.setPointer(0, gradient);
        slot.setPointer(0, e.undefinedTensor());
        JniUtils.deleteNDArray(Pointer.nativeValue(owner));
        return true;
    }

    /**
     * The array's strides in elements (DJL does not expose them), or null where libtorch's entry points are not found:
     * for checks of memory layout, e.g. that a block hands on row-major rather than channels-last tensors.
     */
    public static long[] strides(NDArray a) {
        Entry e = Holder.ENTRY;
        if (e == null || !(a instanceof PtNDArray)) {
            return null;
        }
        long[] out = new long[a.getShape().dimension()];
        for (int d = 0; d < out.length; d++) {
            out[d] = e.stride().invokeLong(new Object[] {ptr(a), (long) d});
        }
        return out;
    }

    private static boolean attentionShapes(Shape q, Shape k, Shape v, NDArray mask) {
        if (q.dimension() != 4 || k.dimension() != 4 || v.dimension() != 4) {
            return false;
        }
        boolean sameBatchAndHeads = q.get(0) == k.get(0) && k.get(0) == v.get(0) && q.get(1) == k.get(1) && k.get(1) == v.get(1);
        boolean consistent = q.get(3) == k.get(3) && k.get(2) == v.get(2) && q.get(2) > 0 && k.get(2) > 0 && q.get(3) > 0;
        return sameBatchAndHeads && consistent && (mask == null || broadcastsTo(mask.getShape(),
                new Shape(q.get(0), q.get(1), q.get(2), k.get(2))));
    }

    private static boolean broadcastsTo(Shape from, Shape to) {
        if (from.dimension() > to.dimension()) {
            return false;
        }
        for (int i = 1; i <= from.dimension(); i++) {
            long f = from.get(from.dimension() - i);
            if (f != 1 && f != to.get(to.dimension() - i)) {
                return false;
            }
        }
        return true;
    }

    /** PyTorch arrays of one floating type on one device, none of them empty. */
    private static boolean accepts(NDArray first, NDArray... more) {
        if (!(first instanceof PtNDArray) || !floating(first.getDataType()) || first.getShape().size() == 0) {
            return false;
        }
        for (NDArray a : more) {
            if (!(a instanceof PtNDArray) || a.getDataType() != first.getDataType() || !a.getDevice().equals(first.getDevice())
                    || a.getShape().size() == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean floating(DataType t) {
        return t == DataType.FLOAT32 || t == DataType.FLOAT64 || t == DataType.FLOAT16 || t == DataType.BFLOAT16;
    }

    private static NDArray call(Entry e, Function op, NDArray like, Object... args) {
        Pointer result = e.operatorNew().invokePointer(new Object[] {(long) Native.POINTER_SIZE});
        Object[] withResult = new Object[args.length + 1];
        withResult[0] = result;
        System.arraycopy(args, 0, withResult, 1, args.length);
        op.invoke(Pointer.class, withResult);
        return new PtNDArray((PtNDManager) like.getManager(), Pointer.nativeValue(result));
    }

    /** DJL's handle: a pointer to a torch::Tensor, i.e. a {@code const Tensor&}. */
    private static Pointer ptr(NDArray a) {
        return new Pointer(((PtNDArray) a).getHandle());
    }

    /** Writes an engaged std::optional&lt;Tensor&gt; that borrows {@code a}'s TensorImpl (no reference taken: read only). */
    private static Pointer engaged(Memory block, long offset, NDArray a) {
        Pointer at = block.share(offset, OPTIONAL_TENSOR_BYTES);
        at.clear(OPTIONAL_TENSOR_BYTES);
        at.setPointer(0, ptr(a).getPointer(0));
        at.setByte(ENGAGED_AT, (byte) 1);
        return at;
    }

    private static Pointer zeroed(int bytes) {
        Memory m = new Memory(bytes);
        m.clear();
        return m;
    }
}
