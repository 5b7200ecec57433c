package dev.cnf.model.io;

import java.io.Closeable;

/** Tensors read from files that stay open (memory-mapped) until closed: one safetensors file, or the shards of an index. */
public interface TensorFiles extends TensorSource, Closeable {}
