package dev.cnf.model;

import dev.cnf.model.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A safetensors header of 0x0580 bytes starts with 0x80 0x05, like a pickle's PROTO 5: it is still safetensors. */
class SafetensorsHeaderTest {
    @Test
    void aHeaderLengthThatLooksLikePickleIsStillSafetensors(@TempDir Path dir) throws Exception {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] header = (json + " ".repeat(0x0580 - json.length())).getBytes(StandardCharsets.UTF_8); // spaces pad, as the format allows
        ByteBuffer file = ByteBuffer.allocate(8 + header.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length).put(header).putFloat(2.5f);
        Path shard = Files.write(dir.resolve("diffusion_pytorch_model-00025-of-00038.safetensors"), file.array());
        assertEquals((byte) 0x80, Files.readAllBytes(shard)[0]);
        assertEquals(5, Files.readAllBytes(shard)[1]);
        SafetensorsFile.refusePickle(shard); // does not throw
        try (SafetensorsFile read = SafetensorsFile.open(shard)) {
            assertArrayEquals(new float[] {2.5f}, read.floats("w"));
        }

        Path pickle = Files.write(dir.resolve("weights.safetensors"), new byte[] {(byte) 0x80, 5, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0});
        assertThrows(java.io.IOException.class, () -> SafetensorsFile.refusePickle(pickle));
    }
}
