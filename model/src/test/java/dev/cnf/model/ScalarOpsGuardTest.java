package dev.cnf.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.cnf.model.config.StableDiffusionConfig;
import dev.cnf.model.controlnet.ControlNet;
import dev.cnf.model.io.Tensor;
import dev.cnf.model.io.Weights;
import dev.cnf.model.nn.Scalars;
import dev.cnf.model.train.DiffusionTrainer;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DJL 0.36's {@code NDArray.mul(Number)} and its kin wrap the number in a tensor over Java memory and close it at once,
 * while autograd keeps it for the backward pass: a garbage collection in between corrupts gradients (issue 18). The
 * model code uses {@link Scalars} (libtorch-owned scalars) instead; this test keeps it that way and checks that a
 * collection between forward and backward changes no gradient bit.
 */
class ScalarOpsGuardTest extends PyTorchTest {
    /**
     * Scans the model's compiled classes: no call of an NDArray method that takes a Number (mul(Number), clip, ...) and
     * none of set(float[]) / set(Buffer), which leave a weight in Java-owned memory.
     */
    @Test
    void noModelCodeCallsAnNDArrayMethodThatTakesANumber() throws IOException {
        Path classes = Paths.get(Scalars.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        List<String> found = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                scanned++;
                for (String ref : numberTakingNdArrayCalls(Files.readAllBytes(f))) {
                    found.add(classes.relativize(f) + " calls " + ref);
                }
            }
        }
        assertTrue(scanned > 50, "scanned the model's classes at " + classes);
        assertTrue(found.isEmpty(), "use dev.cnf.model.nn.Scalars (a libtorch-owned scalar) or TorchOwned.copyInto instead of:\n" + String.join("\n", found));
    }

    /** The scanner itself finds such a call, in this test class's own bytecode (the method below). */
    @Test
    void theScannerFindsSuchACall() throws IOException {
        try (InputStream in = ScalarOpsGuardTest.class.getResourceAsStream("ScalarOpsGuardTest.class")) {
            List<String> refs = numberTakingNdArrayCalls(in.readAllBytes());
            assertTrue(refs.contains("ai/djl/ndarray/NDArray.mul(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;"), refs.toString());
            assertTrue(refs.contains("ai/djl/ndarray/NDArray.set([F)V"), refs.toString());
        }
    }

    @SuppressWarnings("unused")
    private static NDArray unsafeOnPurpose(NDArray x) {
        x.set(new float[] {1f}); // what the scanner must find; never called
        return x.mul(3f);
    }

    /** A product with a constant keeps its gradient through forced collections (DJL's mul(3f) gave about -1e36 here). */
    @Test
    void aScalarProductsGradientSurvivesGarbageCollection() {
        try (NDManager m = manager.newSubManager()) {
            for (int i = 0; i < 5; i++) {
                NDArray x = m.create(new float[] {1, 2, 3, 4});
                x.setRequiresGradient(true);
                try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                    NDArray y = Scalars.mul(x, 3f).sum();
                    GcPressure.collectAndScribble();
                    gc.backward(y);
                }
                assertArrayEquals(new float[] {3, 3, 3, 3}, x.getGradient().toFloatArray(), "run " + i);
            }
        }
    }

    /** One tiny-sd training step's gradients, with and without collections between forward and backward: the same bits. */
    @Test
    void trainingGradientsAreBitIdenticalUnderGarbageCollection() {
        Map<String, float[]> quiet = gradients(false);
        Map<String, float[]> collected = gradients(true);
        assertEquals(quiet.keySet(), collected.keySet());
        for (String k : quiet.keySet()) {
            assertArrayEquals(quiet.get(k), collected.get(k), k);
        }
    }

    private static Map<String, float[]> gradients(boolean collect) {
        try (NDManager m = manager.newSubManager()) {
            BaseModel base = BaseModel.initialize(StableDiffusionConfig.tinySd(), 64, m, 5);
            ControlNet cn = base.newControlNet(m, 6);
            Map<String, Tensor> w = new HashMap<>(Weights.export(cn));
            Random r = new Random(3);
            w.replaceAll((n, t) -> n.startsWith("controlnet_down_blocks.") || n.startsWith("controlnet_mid_block.")
                    ? NumericsTest.randomTensor(t.shape(), 0.05f, r) : t);
            Weights.load(cn, w);
            DiffusionTrainer t = DiffusionTrainer.controlNet(base, cn, TinyModelTest.circles(4, 2),
                    new DiffusionTrainer.Options(2, 1, 1e-4, 1e-2, 1.0, 0.5, 9), m);
            if (collect) {
                t.beforeBackward(GcPressure::collectAndScribble);
            }
            return t.nextStepGradients().gradients();
        }
    }

    /**
     * Calls, in a class file, of ai/djl/ndarray/NDArray methods (or an engine subclass's) that take a Number, and of
     * its set(float[]) / set(Buffer) kin, which point the tensor at Java memory (use TorchOwned.copyInto).
     */
    static List<String> numberTakingNdArrayCalls(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(classFile));
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        int[][] refs = new int[count][];
        int[] classNames = new int[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 3, 4 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++;
                }
                case 7 -> classNames[i] = in.readUnsignedShort();
                case 8, 16, 19, 20 -> in.readUnsignedShort();
                case 9, 10, 11, 12, 17, 18 -> refs[i] = new int[] {tag, in.readUnsignedShort(), in.readUnsignedShort()};
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("constant pool tag " + tag);
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            if (refs[i] == null || (refs[i][0] != 10 && refs[i][0] != 11)) {
                continue;
            }
            String owner = utf8[classNames[refs[i][1]]];
            int[] nameAndType = refs[refs[i][2]];
            String name = utf8[nameAndType[1]];
            String descriptor = utf8[nameAndType[2]];
            boolean ndArray = owner.equals("ai/djl/ndarray/NDArray") || owner.endsWith("NDArray") && owner.startsWith("ai/djl/");
            String params = descriptor.substring(1, descriptor.indexOf(')'));
            boolean javaMemory = name.equals("set") && (params.startsWith("[") || params.startsWith("Ljava/nio/"));
            if (ndArray && (params.contains("Ljava/lang/Number;") || javaMemory)) {
                out.add(owner + "." + name + descriptor);
            }
        }
        return out;
    }
}
