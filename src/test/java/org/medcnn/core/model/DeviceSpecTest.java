package org.medcnn.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceSpecTest {

	@Test
	void parsesTheAcceptedForms() {
		assertEquals(DeviceSpec.AUTO, DeviceSpec.parse("auto"));
		assertEquals(DeviceSpec.AUTO, DeviceSpec.parse(null));
		assertEquals(DeviceSpec.AUTO, DeviceSpec.parse("  "));
		assertEquals(DeviceSpec.CPU, DeviceSpec.parse("cpu"));
		assertEquals(DeviceSpec.CPU, DeviceSpec.parse(" CPU "));
		assertEquals(new DeviceSpec(DeviceSpec.Kind.GPU, 0), DeviceSpec.parse("gpu"));
		assertEquals(new DeviceSpec(DeviceSpec.Kind.GPU, 2), DeviceSpec.parse("gpu:2"));
		assertEquals(new DeviceSpec(DeviceSpec.Kind.GPU, 12), DeviceSpec.parse("GPU:12"));
		assertEquals(-1, DeviceSpec.CPU.gpuIndex());
	}

	@Test
	void printsBackAsParsed() {
		assertEquals("auto", DeviceSpec.parse("auto").toString());
		assertEquals("cpu", DeviceSpec.parse("cpu").toString());
		assertEquals("gpu:0", DeviceSpec.parse("gpu").toString());
		assertEquals("gpu:2", DeviceSpec.parse("gpu:2").toString());
	}

	@Test
	void rejectsOthersNamingTheValue() {
		for (String bad : new String[] {"tpu", "gpu:", "gpu:-1", "gpu:x", "gpu2", "gpu:1234", "cuda:0", "cpu:0"}) {
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(bad), bad);
			assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("auto, cpu, gpu, gpu:N"), e.getMessage());
		}
	}
}
