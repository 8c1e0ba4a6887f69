package org.medcnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medcnn.testing.Fixtures;

class NpyTest {

	@Test
	void readsWhatNumpyWrote() throws Exception {
		// written by numpy.save in src/test/scripts/make_byo_fixtures.py: softmax of the one-channel classifier
		Npy.Array out = Npy.read(Fixtures.resource("/byo/bioimageio-0.5/test_output.npy"));
		assertArrayEquals(new long[] {1, 2}, out.shape());
		assertEquals("<f4", out.dtype());
		assertEquals(0.86870587f, out.data()[0], 1e-7f);
		assertEquals(0.13129416f, out.data()[1], 1e-7f);
		Npy.Array in = Npy.read(Fixtures.resource("/byo/bioimageio-0.5/test_input.npy"));
		assertArrayEquals(new long[] {1, 1, 32, 32}, in.shape());
	}

	@Test
	void writesWhatItReadsInCOrder(@TempDir Path tmp) throws Exception {
		float[] v = {1, 2, 3, 4, 5, 6};
		Path f = tmp.resolve("a.npy");
		Npy.write(f, new long[] {2, 3}, v);
		assertEquals(0, Files.size(f) % 64 == 0 ? 0 : (Files.size(f) - 24) % 4, "data start aligned");
		Npy.Array a = Npy.read(f);
		assertArrayEquals(new long[] {2, 3}, a.shape());
		assertArrayEquals(v, a.data());
	}

	@Test
	void readsOtherTypesOrdersAndByteOrders(@TempDir Path tmp) throws Exception {
		// Fortran order 2 x 3 of big-endian int16: memory holds columns [[1, 4], [2, 5], [3, 6]]
		Path f = raw(tmp.resolve("f.npy"), "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }", ByteOrder.BIG_ENDIAN, 2, 1, 4, 2, 5, 3, 6);
		Npy.Array a = Npy.read(f);
		assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.data());
		Path u = raw(tmp.resolve("u.npy"), "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", ByteOrder.LITTLE_ENDIAN, 1, 200, 255, 0);
		assertArrayEquals(new float[] {200, 255, 0}, Npy.read(u).data());
	}

	@Test
	void refusesWhatDoesNotAddUp(@TempDir Path tmp) throws Exception {
		Path cut = raw(tmp.resolve("cut.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", ByteOrder.LITTLE_ENDIAN, 4, 1, 2);
		IOException e = assertThrows(IOException.class, () -> Npy.read(cut));
		assertTrue(e.getMessage().contains("cut.npy: truncated .npy data"), e.getMessage());
		Path text = Files.writeString(tmp.resolve("t.npy"), "not numpy");
		assertTrue(assertThrows(IOException.class, () -> Npy.read(text)).getMessage().contains("not a .npy array"));
		Path obj = raw(tmp.resolve("o.npy"), "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", ByteOrder.LITTLE_ENDIAN, 8, 0);
		assertTrue(assertThrows(IOException.class, () -> Npy.read(obj)).getMessage().contains("element type |O is not supported"));
	}

	/** A version 1.0 file with the given header and values of the given byte size. */
	private static Path raw(Path f, String header, ByteOrder order, int size, long... values) throws IOException {
		String h = header + " ".repeat((64 - (10 + header.length() + 1) % 64) % 64) + "\n";
		ByteBuffer b = ByteBuffer.allocate(10 + h.length() + size * values.length).order(ByteOrder.LITTLE_ENDIAN);
		b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length()).put(h.getBytes(StandardCharsets.ISO_8859_1));
		b.order(order);
		for (long v : values) {
			if (size == 1) b.put((byte) v);
			else if (size == 2) b.putShort((short) v);
			else if (size == 4) b.putFloat(v);
			else b.putLong(v);
		}
		Files.write(f, b.array());
		return f;
	}
}
