package dev.cnf.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

/**
 * A DJL block whose parameters carry diffusers' dotted names ({@code down_blocks.0.resnets.0.conv1.weight}).
 *
 * <p>Shapes are fixed by the model config at construction, so parameters are initialised directly
 * ({@link #initializeParameters}) instead of through DJL's shape inference. Initial values come from
 * a seeded Java RNG so that a model is a pure function of (config, seed) on every engine and device.
 */
public abstract class NamedBlock extends AbstractBlock {

    private final Map<String, Block> namedChildren = new LinkedHashMap<>();
    private final Map<String, ParamSpec> specs = new LinkedHashMap<>();
    private List<Parameter> allParameters;

    /** How a parameter starts: PyTorch's defaults for conv/linear (kaiming-uniform bound), ones, or zeros. */
    public enum Init { UNIFORM_FAN_IN, ONES, ZEROS }

    private record ParamSpec(Parameter parameter, Init init, long fanIn) {}

    protected <B extends Block> B child(String name, B block) {
        namedChildren.put(name, block);
        return addChildBlock(name, block);
    }

    protected Parameter param(String name, Shape shape, Init init, long fanIn) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.OTHER).optShape(shape).build();
        specs.put(name, new ParamSpec(addParameter(p), init, fanIn));
        return p;
    }

    /** All parameters of this block and its children, keyed by full dotted name, in declaration order. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        specs.forEach((n, s) -> out.put(prefix + n, s.parameter()));
        namedChildren.forEach((n, b) -> ((NamedBlock) b).collect(prefix + n + ".", out));
    }

    /** Number of scalar weights, from the config-fixed shapes: no weights need to exist. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            Shape shape = p.isInitialized() ? p.getArray().getShape() : p.getShape();
            n += shape.size();
        }
        return n;
    }

    /** Initialises every parameter of the tree; the same seed gives the same weights. */
    public void initializeParameters(NDManager manager, long seed) {
        TorchRuntime.prepare(manager);
        GradMode.disableOnThisThread(); // weights are written below; no autograd may see that
        SplittableRandom rng = new SplittableRandom(seed);
        initialize(manager, rng);
    }

    /**
     * Gives every parameter a zero-filled array of its shape, allocated natively: for weights that
     * are about to be loaded, so no random values are generated and no Java copy is made.
     */
    public void allocateParameters(NDManager manager) {
        TorchRuntime.prepare(manager);
        GradMode.disableOnThisThread();
        for (ParamSpec s : specs.values()) {
            NDArray array = manager.zeros(s.parameter().getShape(), DataType.FLOAT32);
            s.parameter().setShape(null);
            s.parameter().setArray(array);
            s.parameter().initialize(manager, DataType.FLOAT32);
        }
        for (Block b : namedChildren.values()) {
            ((NamedBlock) b).allocateParameters(manager);
        }
    }

    private void initialize(NDManager manager, SplittableRandom rng) {
        for (ParamSpec s : specs.values()) {
            Shape shape = s.parameter().getShape();
            float[] values = new float[Math.toIntExact(shape.size())];
            switch (s.init()) {
                case ONES -> java.util.Arrays.fill(values, 1f);
                case ZEROS -> { }
                case UNIFORM_FAN_IN -> {
                    double bound = 1.0 / Math.sqrt(s.fanIn());
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                    }
                }
            }
            NDArray array = manager.create(values, shape);
            s.parameter().setShape(null);
            s.parameter().setArray(array);
            s.parameter().initialize(manager, DataType.FLOAT32);
        }
        for (Block b : namedChildren.values()) {
            ((NamedBlock) b).initialize(manager, rng);
        }
    }

    /** Copies values (not identity) from a same-named parameter map, e.g. the UNet encoder into the ControlNet. */
    public void copyFrom(Map<String, Parameter> source, String sourcePrefix) {
        GradMode.disableOnThisThread();
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            Parameter src = source.get(sourcePrefix + e.getKey());
            if (src != null) {
                try (NDArray values = src.getArray().toType(DataType.FLOAT32, true)) { // a float32 copy of any float type
                    TorchOwned.copyInto(e.getValue().getArray(), values.toFloatArray());
                }
            }
        }
    }

    /**
     * Stores every floating-point weight of the tree as {@code type} (e.g. a frozen base in bfloat16 for mixed
     * precision): one copy per weight instead of a cast at each use. Weights already of that type are kept.
     */
    public void castParameters(DataType type) {
        GradMode.disableOnThisThread();
        for (Parameter p : namedParameters().values()) {
            NDArray old = p.getArray();
            if (old.getDataType() == type || !old.getDataType().isFloating()) {
                continue;
            }
            NDArray cast = old.toType(type, false);
            cast.attach(old.getManager());
            boolean frozen = !p.requiresGradient();
            p.close(); // frees the old values; the parameter takes the cast array
            p.setShape(null);
            p.setArray(cast);
            p.freeze(frozen);
        }
    }

    /** The type of this block's (first) floating-point weights: the compute type of a frozen, cast block. */
    public DataType weightType() {
        for (Parameter p : namedParameters().values()) {
            if (p.getArray().getDataType().isFloating()) {
                return p.getArray().getDataType();
            }
        }
        return DataType.FLOAT32;
    }

    /**
     * A parameter's values for an op on {@code like}. When the activations are of another floating type than the
     * weight (a ControlNet's float32 weights in a half-precision base at sampling time), the weight is cast for the op.
     * The cast records no gradient, so a trained weight must come as a copy of the activations' type instead.
     */
    protected static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
        NDArray v = ps.getValue(p, like.getDevice(), training);
        DataType want = like.getDataType();
        if (v.getDataType() != want && want.isFloating() && v.getDataType().isFloating()) {
            if (training && p.requiresGradient()) { // DJL's cast records no gradient: the weight would silently not train
                throw new IllegalStateException(p.getName() + " is trained as " + v.getDataType() + " but meets " + want
                        + " activations; train through DiffusionTrainer, whose mixed-precision store gives it " + want + " copies");
            }
            NDArray cast = v.toType(want, false);
            cast.attach(like.getManager()); // not the weight's long-lived manager
            return cast;
        }
        return v;
    }

    /** Initialised when every parameter has values; DJL's default also demands recorded input shapes. */
    @Override
    public boolean isInitialized() {
        if (allParameters == null) {
            allParameters = List.copyOf(namedParameters().values()); // the tree is fixed once built
        }
        for (Parameter p : allParameters) {
            if (!p.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new IllegalStateException(getClass().getSimpleName()
                + " has config-driven shapes; initialise it with initializeParameters(manager, seed)");
    }

    /** While set, sees each leaf op's inputs (convolution, linear, group norm, attention); see {@link #observeOps}. */
    private static volatile BiConsumer<NamedBlock, NDList> opObserver;

    /**
     * Calls {@code observer} with every leaf op and its inputs until the returned handle is closed: how the numerics
     * check (NumericsTest) finds each shape a model really runs. One observer at a time, for the whole JVM.
     */
    public static AutoCloseable observeOps(BiConsumer<NamedBlock, NDList> observer) {
        opObserver = observer;
        return () -> opObserver = null;
    }

    /** Leaf ops call this first with their inputs. */
    protected final void observed(NDList inputs) {
        BiConsumer<NamedBlock, NDList> o = opObserver;
        if (o != null) {
            o.accept(this, inputs);
        }
    }

    /** Convenience for single-tensor blocks. */
    public NDArray apply(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, new NDList(x), training, null).singletonOrThrow();
    }

    @Override
    protected abstract NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params);
}
