package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.medcnn.testing.Fixtures;

/** The engine's switches: read in one place, typed, and shown by doctor when set. */
class EngineSettingTest {

	private final String graph = System.getProperty(EngineSetting.GRAPH.key());
	private final String spin = System.getProperty(EngineSetting.ENGINE_SPIN_US.key());

	@AfterEach
	void restore() {
		Fixtures.restoreProperty(EngineSetting.GRAPH.key(), graph);
		Fixtures.restoreProperty(EngineSetting.ENGINE_SPIN_US.key(), spin);
	}

	@Test
	void unsetGivesTheDefaultAndAChoiceIsReadCaseInsensitively() {
		System.clearProperty(EngineSetting.GRAPH.key());
		assertEquals("fused", EngineSetting.GRAPH.value());
		assertFalse(EngineSetting.describeSet().stream().anyMatch(s -> s.startsWith("medcnn.graph")));
		System.setProperty(EngineSetting.GRAPH.key(), " Plain ");
		assertTrue(EngineSetting.GRAPH.is("plain"));
		assertTrue(EngineSetting.describeSet().contains("medcnn.graph=Plain"), EngineSetting.describeSet().toString());
	}

	@Test
	void aValueNotAcceptedFallsBackToTheDefaultAndDoctorSaysSo() {
		System.setProperty(EngineSetting.GRAPH.key(), "fast");
		assertEquals("fused", EngineSetting.GRAPH.value());
		String line = EngineSetting.describeSet().stream().filter(s -> s.startsWith("medcnn.graph")).findFirst().orElseThrow();
		assertTrue(line.contains("not accepted") && line.contains("plain") && line.contains("the default fused is used"), line);
		System.setProperty(EngineSetting.ENGINE_SPIN_US.key(), "lots");
		assertEquals(300, EngineSetting.ENGINE_SPIN_US.number(0, 10_000));
		System.setProperty(EngineSetting.ENGINE_SPIN_US.key(), "99999");
		assertEquals(10_000, EngineSetting.ENGINE_SPIN_US.number(0, 10_000));
		assertTrue(EngineSetting.describeSet().contains("medcnn.engine_spin_us=99999"));
	}

	/** No main source reads a medcnn.* engine property except through {@link EngineSetting}. */
	@Test
	void noOtherClassReadsTheEngineProperties() throws Exception {
		Set<String> keys = new HashSet<>();
		for (EngineSetting s : EngineSetting.values()) keys.add(s.key());
		Pattern literal = Pattern.compile("\"(medcnn\\.[a-z_.]+)\"");
		List<String> offenders;
		try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
			offenders = files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("EngineSetting.java")).filter(p -> {
				try {
					Matcher m = literal.matcher(Files.readString(p));
					while (m.find()) if (keys.contains(m.group(1))) return true;
					return false;
				} catch (java.io.IOException e) {
					throw new java.io.UncheckedIOException(e);
				}
			}).map(Path::toString).toList();
		}
		assertEquals(List.of(), offenders);
	}
}
