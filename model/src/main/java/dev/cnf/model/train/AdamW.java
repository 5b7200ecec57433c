package dev.cnf.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.nn.GradMode;
import dev.cnf.model.nn.LibtorchOps;
import dev.cnf.model.nn.Scalars;
import dev.cnf.model.nn.TorchOwned;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * AdamW with torch.optim.AdamW's update order: decoupled decay p ← p·(1 − lr·wd), moment updates,
 * then p ← p − (lr / bc1) · m / (√v / √bc2 + eps). DJL 0.36 ships only Adam, hence this class.
 * Call {@link #step} outside any gradient collector, inside an NDScope. Where libtorch's fused kernel runs (Linux x86-64,
 * {@link LibtorchOps#adamW}), a step is that kernel, as torch.optim.AdamW(fused=True) takes it; the bucketed arithmetic
 * below is the step elsewhere.
 *
 * <p>The moments of consecutive parameters live in flat buckets of at most {@link #BUCKET_ELEMENTS} values, and the
 * moment and update arithmetic runs once per bucket on the bucket's gradients laid end to end, as torch's multi-tensor
 * ("foreach") AdamW does: a ControlNet has hundreds of small parameter tensors, and one native call per operation and
 * tensor cost more than the arithmetic (tiny-sd's ControlNet, 174 tensors: 9.5-12 ms a step one tensor at a time, 3.1-3.3
 * ms in one bucket, torch's single-tensor loop 5.8 ms). Every operation is elementwise, so the result is bit for bit
 * the one a per-tensor loop gives (AdamWBucketsTest); a bucket bounds the temporaries to a few times its size, never
 * several copies of every parameter at once.
 */
public final class AdamW {
    /** The most values a bucket holds (16 MiB of float32 per temporary). */
    static final long BUCKET_ELEMENTS = 1L << 22;

    /** Consecutive parameters whose moments are stored end to end in {@code m} and {@code v}. */
    private record Bucket(List<String> names, List<Parameter> params, long[] sizes, NDArray m, NDArray v) {
        long elements() {
            return Arrays.stream(sizes).sum();
        }
    }

    private final List<Bucket> buckets = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private int step;

    public AdamW(Map<String, Parameter> params, NDManager manager, double beta1, double beta2, double eps, double weightDecay) {
        this(params, manager, beta1, beta2, eps, weightDecay, BUCKET_ELEMENTS);
    }

    /** With buckets of at most {@code bucketElements} values (a parameter larger than that has a bucket of its own). */
    AdamW(Map<String, Parameter> params, NDManager manager, double beta1, double beta2, double eps, double weightDecay,
          long bucketElements) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        List<String> names = new ArrayList<>();
        List<Parameter> group = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        long filled = 0;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            long size = e.getValue().getArray().size();
            if (!group.isEmpty() && filled + size > bucketElements) {
                buckets.add(bucket(names, group, sizes, filled, manager));
                names = new ArrayList<>();
                group = new ArrayList<>();
                sizes = new ArrayList<>();
                filled = 0;
            }
            names.add(e.getKey());
            group.add(e.getValue());
            sizes.add(size);
            filled += size;
        }
        if (!group.isEmpty()) {
            buckets.add(bucket(names, group, sizes, filled, manager));
        }
    }

    private static Bucket bucket(List<String> names, List<Parameter> params, List<Long> sizes, long elements, NDManager manager) {
        return new Bucket(List.copyOf(names), List.copyOf(params), sizes.stream().mapToLong(Long::longValue).toArray(),
                manager.zeros(new Shape(elements)), manager.zeros(new Shape(elements)));
    }

    public static AdamW withTorchDefaults(Map<String, Parameter> params, NDManager manager, double weightDecay) {
        return new AdamW(params, manager, 0.9, 0.999, 1e-8, weightDecay);
    }

    public void step(double lr) {
        step(lr, p -> p.getArray().getGradient());
    }

    /** One update with gradients from {@code gradientOf} (e.g. float32 buffers of a mixed-precision step). */
    public void step(double lr, Function<Parameter, NDArray> gradientOf) {
        GradMode.disableOnThisThread();
        step++;
        if (fusedStep(lr, gradientOf)) {
            return;
        }
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        for (Bucket b : buckets) {
            try (NDArray update = update(b, gradientOf, lr, bc1, bc2);
                 NDArray decay = Scalars.of(update, (float) (1 - lr * weightDecay));
                 NDList pieces = update.split(offsets(b.sizes()))) {
                for (int i = 0; i < b.params().size(); i++) {
                    NDArray w = b.params().get(i).getArray();
                    try (NDArray piece = pieces.get(i).reshape(w.getShape())) {
                        w.muli(decay).subi(piece); // decay first, then the update: torch's order
                    }
                }
            }
        }
    }

    /**
     * The step as torch.optim.AdamW(fused=True) takes it, where libtorch's kernel runs ({@link LibtorchOps#adamW}): one
     * pass over each parameter, its gradient and its moments (views into the buckets), where the bucketed arithmetic
     * below makes about fourteen over every bucket. The same formula; the two agree to float32 rounding
     * (AdamWBucketsTest), and both match torch.optim.AdamW (NnSemanticsTest). False where the kernel cannot run.
     */
    private boolean fusedStep(double lr, Function<Parameter, NDArray> gradientOf) {
        if (!LibtorchOps.available()) {
            return false; // before the views: the composed step would pay for them for nothing
        }
        List<NDArray> params = new ArrayList<>();
        List<NDArray> grads = new ArrayList<>();
        List<NDArray> expAvgs = new ArrayList<>();
        List<NDArray> expAvgSqs = new ArrayList<>();
        try (NDList views = new NDList()) { // new arrays only: slices and reshapes, never the buckets or gradients themselves
            for (Bucket b : buckets) {
                long at = 0;
                for (int i = 0; i < b.params().size(); i++) {
                    NDArray w = b.params().get(i).getArray();
                    NDIndex slice = new NDIndex("{}:{}", at, at + b.sizes()[i]);
                    at += b.sizes()[i];
                    // reshape: a view of a contiguous gradient (as autograd leaves it), a contiguous copy otherwise, since
                    // the kernel walks each tensor's memory in order
                    NDArray g = gradientOf.apply(b.params().get(i)).reshape(w.getShape());
                    NDArray mSlice = b.m().get(slice);
                    NDArray vSlice = b.v().get(slice);
                    NDArray m = mSlice.reshape(w.getShape());
                    NDArray v = vSlice.reshape(w.getShape());
                    views.addAll(new NDList(g, mSlice, vSlice, m, v));
                    params.add(w);
                    grads.add(g);
                    expAvgs.add(m);
                    expAvgSqs.add(v);
                }
            }
            return LibtorchOps.adamW(params, grads, expAvgs, expAvgSqs, step, lr, beta1, beta2, weightDecay, eps);
        }
    }

    /** (lr / bc1) · m / (√v / √bc2 + eps) for the bucket, after the moments take the bucket's gradients. */
    private NDArray update(Bucket b, Function<Parameter, NDArray> gradientOf, double lr, double bc1, double bc2) {
        NDList flat = new NDList(b.params().size());
        for (Parameter p : b.params()) {
            flat.add(gradientOf.apply(p).flatten());
        }
        try (flat; NDArray g = NDArrays.concat(flat)) {
            try (NDArray scaled = Scalars.mul(g, (float) (1 - beta1))) {
                Scalars.muli(b.m(), (float) beta1).addi(scaled);
            }
            try (NDArray squared = g.square()) {
                Scalars.muli(b.v(), (float) beta2).addi(Scalars.muli(squared, (float) (1 - beta2)));
            }
        }
        try (NDArray denom = b.v().sqrt()) {
            NDArray update = b.m().div(Scalars.addi(Scalars.divi(denom, (float) Math.sqrt(bc2)), (float) eps));
            return Scalars.muli(update, (float) (lr / bc1)); // (lr / bc1) · (m / denom), torch's addcdiv_ order
        }
    }

    /** Where each parameter after the first starts in its bucket. */
    private static long[] offsets(long[] sizes) {
        long[] out = new long[sizes.length - 1];
        long at = 0;
        for (int i = 0; i < out.length; i++) {
            at += sizes[i];
            out[i] = at;
        }
        return out;
    }

    public int stepCount() {
        return step;
    }

    /** Moments as tensors named {@code exp_avg.<param>} / {@code exp_avg_sq.<param>}. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        Map<String, Tensor> v = new LinkedHashMap<>();
        for (Bucket b : buckets) {
            float[] ms = b.m().toFloatArray();
            float[] vs = b.v().toFloatArray();
            int at = 0;
            for (int i = 0; i < b.names().size(); i++) {
                long[] shape = b.params().get(i).getArray().getShape().getShape();
                int n = (int) b.sizes()[i];
                m.put("exp_avg." + b.names().get(i), new Tensor(shape, Arrays.copyOfRange(ms, at, at + n)));
                v.put("exp_avg_sq." + b.names().get(i), new Tensor(shape, Arrays.copyOfRange(vs, at, at + n)));
                at += n;
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>(m);
        out.putAll(v);
        return out;
    }

    public void restore(Map<String, Tensor> state, int stepCount) {
        GradMode.disableOnThisThread();
        for (Bucket b : buckets) {
            TorchOwned.copyInto(b.m(), joined(b, state, "exp_avg."));
            TorchOwned.copyInto(b.v(), joined(b, state, "exp_avg_sq."));
        }
        this.step = stepCount;
    }

    /** The bucket's parameters' saved moments, end to end. */
    private static float[] joined(Bucket b, Map<String, Tensor> state, String prefix) {
        float[] out = new float[Math.toIntExact(b.elements())];
        int at = 0;
        for (int i = 0; i < b.names().size(); i++) {
            Tensor t = state.get(prefix + b.names().get(i));
            if (t == null) {
                throw new IllegalArgumentException("optimizer state lacks " + prefix + b.names().get(i));
            }
            if (t.data().length != b.sizes()[i]) {
                throw new IllegalArgumentException("optimizer state " + prefix + b.names().get(i) + " holds " + t.data().length
                        + " values; the parameter has " + b.sizes()[i]);
            }
            System.arraycopy(t.data(), 0, out, at, t.data().length);
            at += t.data().length;
        }
        return out;
    }
}
