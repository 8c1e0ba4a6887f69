package org.medcnn.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Messages stay one line of bounded length, whatever they are made of. */
class MessagesTest {

	@Test
	void oneLineReplacesLineBreaksAndCutsLongMessages() {
		assertEquals("a b  c", Messages.oneLine("a\nb\r\nc"));
		assertEquals("", Messages.oneLine(null));
		String longOne = "x".repeat(9_000_000);
		String line = Messages.oneLine(longOne);
		assertTrue(line.length() <= Messages.MAX_LENGTH, line.length() + " characters");
		assertTrue(line.endsWith("(" + (9_000_000 - (Messages.MAX_LENGTH - 40)) + " more characters)"), line);
		assertEquals("short", Messages.oneLine("short"));
		String exact = "y".repeat(Messages.MAX_LENGTH);
		assertEquals(exact, Messages.oneLine(exact), "a message of the maximum length is kept whole");
	}

	@Test
	void listShowsTenItemsAndHowManyMore() {
		List<Integer> many = new ArrayList<>();
		for (int i = 0; i < 1000; i++) many.add(i);
		assertEquals("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... and 990 more]", Messages.list(many));
		assertEquals("[a, b]", Messages.list(List.of("a", "b")));
	}

	@Test
	void describeGivesTheExceptionClassAndMessage() {
		assertEquals("NegativeArraySizeException: -1794967296", Messages.describe(new NegativeArraySizeException("-1794967296")));
		assertEquals("NullPointerException", Messages.describe(new NullPointerException()));
	}
}
