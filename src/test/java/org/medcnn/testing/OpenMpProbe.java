package org.medcnn.testing;

import org.medcnn.core.engine.EnginePolicy;
import org.medcnn.core.engine.OpenMpPolicy;

/** Child-process probe for OpenMpPolicyTest: the state, then what the engine's OpenMP runtime saw. */
public final class OpenMpProbe {

	private OpenMpProbe() {}

	/**
	 * Prints four lines: whether an OpenMP runtime was loaded before MedCNN's engine start, the state,
	 * the native GOMP_SPINCOUNT after the engine started, whether an OpenMP runtime is loaded then.
	 *
	 * @param args unused
	 * @throws Exception if the engine cannot start
	 */
	public static void main(String[] args) throws Exception {
		boolean before = OpenMpPolicy.openMpLoaded();
		EnginePolicy.engine();
		System.out.println(before);
		System.out.println(OpenMpPolicy.apply());
		System.out.println(OpenMpPolicy.nativeEnv("GOMP_SPINCOUNT"));
		System.out.println(OpenMpPolicy.openMpLoaded());
	}
}
