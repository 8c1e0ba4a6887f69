package org.medcnn.core.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.Locale;

/**
 * Tunes glibc's allocator for PyTorch inference inside an already running JVM.
 * <p>
 * Why: PyTorch allocates and frees its large activation buffers on every forward pass. By default
 * glibc serves such blocks with {@code mmap} and returns them to the system on {@code free}, and also
 * trims the heap top eagerly, so each forward pass page-faults its buffers in again; on 2 CPU cores
 * that made inference 3 to 10 times slower (docs/benchmarks.md). Environment variables
 * ({@code MALLOC_TRIM_THRESHOLD_} ...) would fix it but are read only at process start, which is too
 * late inside Fiji. {@code mallopt} changes the same settings at run time: blocks up to 32 MiB (glibc's
 * maximum mmap threshold on 64-bit systems) come from the heap, and freed memory is kept (trim
 * threshold 2 GiB, top pad 1 GiB). Results are unchanged; only where memory comes from changes.
 * <p>
 * Off with {@code -Dmedcnn.allocator=default}. Elsewhere than glibc (macOS, Windows, musl) it is
 * reported as not active and nothing changes.
 */
public final class NativeAllocator {

	private static final int M_TRIM_THRESHOLD = -1;
	private static final int M_TOP_PAD = -2;
	private static final int M_MMAP_THRESHOLD = -3;

	/** Values applied, in bytes. */
	static final int TRIM_THRESHOLD = Integer.MAX_VALUE;
	static final int TOP_PAD = 1 << 30;
	static final int MMAP_THRESHOLD = 32 << 20;

	private static String state;
	private static boolean active;

	/** The C library's allocator entry points used here. */
	interface CLib extends Library {
		int mallopt(int param, int value);

		long malloc(long size);

		void free(long pointer);

		/** glibc 2.33+: fills 10 size_t fields (arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost). */
		MallInfo2.ByValue mallinfo2();
	}

	/** glibc's {@code struct mallinfo2}. */
	@com.sun.jna.Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"})
	public static class MallInfo2 extends com.sun.jna.Structure {
		/** Non-mmapped space allocated (bytes). */
		public long arena;
		/** Number of free chunks. */
		public long ordblks;
		/** Number of free fastbin blocks. */
		public long smblks;
		/** Number of mmapped regions. */
		public long hblks;
		/** Space allocated in mmapped regions (bytes). */
		public long hblkhd;
		/** Unused. */
		public long usmblks;
		/** Space in freed fastbin blocks (bytes). */
		public long fsmblks;
		/** Total allocated space (bytes). */
		public long uordblks;
		/** Total free space (bytes). */
		public long fordblks;
		/** Top-most releasable space (bytes). */
		public long keepcost;

		/** By-value variant for the return type. */
		public static class ByValue extends MallInfo2 implements com.sun.jna.Structure.ByValue {}
	}

	private NativeAllocator() {}

	/**
	 * Applies the settings once per process (idempotent); never throws.
	 *
	 * @return a one-line description of the state, for doctor and benchmarks
	 */
	public static synchronized String tune() {
		if (state != null) return state;
		if (EngineSetting.ALLOCATOR.is("default")) {
			state = "glibc allocator defaults (tuning switched off by -Dmedcnn.allocator=default)";
			return state;
		}
		if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
			state = "not active: allocator tuning is for glibc on Linux";
			return state;
		}
		try {
			CLib c = Native.load("c", CLib.class);
			int ok = c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) & c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) & c.mallopt(M_TOP_PAD, TOP_PAD);
			active = ok == 1;
			state = active ? "active: glibc mallopt mmap threshold 32 MiB, trim threshold 2 GiB, top pad 1 GiB"
				: "not active: mallopt refused a setting (not glibc?)";
		} catch (UnsatisfiedLinkError | RuntimeException e) {
			state = "not active: " + e.getMessage();
		}
		return state;
	}

	/** @return whether the tuning is in effect in this process */
	public static synchronized boolean isActive() {
		tune();
		return active;
	}

	/**
	 * Measures the effect: allocates, touches and frees a block of the given size through the C
	 * library, and returns how many bytes glibc keeps as free heap afterwards (with the tuning, at
	 * least the block; with glibc's defaults, a block of several MiB goes back to the system).
	 *
	 * @param bytes block size
	 * @return free heap bytes ({@code fordblks}) after the free, or -1 where this cannot be measured
	 */
	public static long retainedAfterFree(long bytes) {
		try {
			CLib c = Native.load("c", CLib.class);
			long p = c.malloc(bytes);
			if (p == 0) return -1;
			com.sun.jna.Pointer ptr = new com.sun.jna.Pointer(p);
			for (long off = 0; off < bytes; off += 4096) ptr.setByte(off, (byte) 1);
			c.free(p);
			return c.mallinfo2().fordblks;
		} catch (UnsatisfiedLinkError | RuntimeException e) {
			return -1;
		}
	}
}
