package org.medcnn.testing;

import org.medcnn.core.engine.EnginePolicy;
import org.medcnn.core.engine.NativeAllocator;

/** Child-process probe for NativeAllocatorTest: prints the allocator state and retained bytes. */
public final class AllocatorProbe {

	private AllocatorProbe() {}

	/**
	 * Prints two lines: the state, then the bytes kept after freeing an 8 MiB block.
	 *
	 * @param args unused
	 */
	public static void main(String[] args) {
		EnginePolicy.init();
		System.out.println(NativeAllocator.tune());
		System.out.println(NativeAllocator.retainedAfterFree(8 << 20));
	}
}
