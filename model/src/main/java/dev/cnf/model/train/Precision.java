package dev.cnf.model.train;

import dev.cnf.model.BaseModel;

import ai.djl.ndarray.types.DataType;

import java.util.Arrays;
import java.util.Locale;

/**
 * The type a frozen base computes in (see {@link BaseModel#castTo}): fp32, or mixed precision with the base stored
 * in fp16 or bf16 while a ControlNet keeps float32 weights, gradients and optimizer state.
 */
public enum Precision {
    FP32(DataType.FLOAT32), FP16(DataType.FLOAT16), BF16(DataType.BFLOAT16);

    /**
     * Set (system property or environment variable, "true") where DJL's PyTorch JNI was built with bfloat16 in its
     * type table, as bench/gpu/build-djl-jni.sh builds it.
     */
    public static final String BF16_JNI_PROPERTY = "cnf.djl.bfloat16";
    public static final String BF16_JNI_ENV = "CNF_DJL_BFLOAT16";

    private final DataType type;

    Precision(DataType type) {
        this.type = type;
    }

    public DataType dataType() {
        return type;
    }

    /** fp32 | fp16 | bf16 (case-insensitive). */
    public static Precision parse(String name) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + name + "'; use one of "
                + Arrays.stream(values()).map(p -> p.name().toLowerCase(Locale.ROOT)).toList());
    }

    /**
     * Fails, before any tensor of that type exists, where the engine cannot hold it. DJL 0.36's PyTorch JNI maps
     * DJL types to torch's only up to complex64: a bfloat16 tensor makes its native code throw with no exception
     * (std::terminate), which aborts the JVM. So bfloat16 is allowed only where a rebuilt JNI is declared.
     */
    public static void requireEngineSupport(DataType type) {
        if (type != DataType.BFLOAT16) {
            return;
        }
        String declared = System.getProperty(BF16_JNI_PROPERTY, System.getenv(BF16_JNI_ENV));
        if (!"true".equalsIgnoreCase(declared)) {
            throw new IllegalStateException("bfloat16 needs a DJL PyTorch JNI with bfloat16 in its type table: DJL 0.36's own "
                    + "aborts the JVM on a bfloat16 tensor. Build one with bench/gpu/build-djl-jni.sh and set "
                    + BF16_JNI_ENV + "=true (or -D" + BF16_JNI_PROPERTY + "=true), or use fp16");
        }
    }
}
