package org.medcnn.core.engine;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups a TorchScript trunk's parameters into its top-level blocks, in forward order: parameters
 * sharing their module path up to the first segment after the prefix common to all names (for
 * torchvision's {@code features.14.conv.0.0.weight} the block is {@code features.14}; for a trunk with
 * a single module {@code conv}, it is {@code conv}). Fine-tuning unfreezes the last blocks; the saliency
 * sanity check randomises them.
 */
public final class TrunkBlocks {

	private TrunkBlocks() {}

	/**
	 * Groups the parameters of a block.
	 *
	 * @param block the trunk (loaded with trainable parameters)
	 * @return block name to its parameters, first block first
	 */
	public static Map<String, List<Parameter>> group(Block block) {
		List<String> names = new ArrayList<>();
		List<Parameter> all = new ArrayList<>();
		for (var e : block.getParameters()) {
			names.add(e.getKey());
			all.add(e.getValue());
		}
		int common = commonSegments(names);
		Map<String, List<Parameter>> blocks = new LinkedHashMap<>();
		for (int i = 0; i < names.size(); i++) {
			String[] seg = names.get(i).split("\\.");
			// The block is a module: never the parameter's own name (conv.weight and conv.bias are block conv).
			int keep = Math.min(common + 1, seg.length - 1);
			String top = keep > 0 ? String.join(".", Arrays.copyOf(seg, keep)) : names.get(i);
			blocks.computeIfAbsent(top, k -> new ArrayList<>()).add(all.get(i));
		}
		return blocks;
	}

	/**
	 * Counts the leading name segments shared by all names (never all segments of a name).
	 *
	 * @param names parameter names
	 * @return the number of shared leading segments
	 */
	public static int commonSegments(List<String> names) {
		if (names.isEmpty()) return 0;
		String[] first = names.get(0).split("\\.");
		int k = first.length - 1;
		for (String n : names) {
			String[] s = n.split("\\.");
			int j = 0;
			while (j < k && j < s.length - 1 && s[j].equals(first[j])) j++;
			k = j;
		}
		return k;
	}
}
