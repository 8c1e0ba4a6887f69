package org.medcnn.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Writes one TorchScript file that runs a whole MedCNN model: the grey slice after the intensity policy
 * (N x 1 x H x W) in, class probabilities (N x K) out. It wraps a saved TorchScript module (a trunk, or a
 * whole model) without Python: the module's archive is copied into a new one whose root object, of a
 * class written here, holds the module as an attribute with the channel mean and std and the head's
 * weights as tensors, and whose {@code forward} replicates the slice into the module's channels,
 * normalises it, runs the module, pools the feature map and applies the linear head (for a trunk),
 * divides by the temperature and takes the softmax.
 * <p>
 * The archive layout is that of {@code torch.jit.save}: {@code <name>/data.pkl} (the root object,
 * pickle protocol 2, tensors as persistent ids into {@code <name>/data/<key>}), {@code <name>/code/}
 * (the classes' TorchScript source), {@code constants.pkl} and {@code version}. The module's pickle is
 * embedded unchanged (it uses its own memo; the wrapper's part uses none), its code files are copied (the
 * wrapper's class is added to {@code __torch__.py}), and its debug records are left out.
 */
public final class TorchScriptWrapper {

	/** The class of the wrapper's root object. */
	static final String CLASS = "MedcnnExport";

	private TorchScriptWrapper() {}

	/**
	 * What the wrapper computes around the module.
	 *
	 * @param moduleChannels the channels the module takes (1 or 3)
	 * @param mean the channel means (moduleChannels values)
	 * @param std the channel standard deviations
	 * @param headWeight the linear head's K x F weights, class-major, or null when the module returns class scores itself
	 * @param headBias the head's K biases, or null
	 * @param classes K
	 * @param probabilities whether the module's class scores are probabilities (a whole model that says so)
	 * @param temperature the calibration temperature
	 */
	public record Spec(int moduleChannels, float[] mean, float[] std, float[] headWeight, float[] headBias, int classes, boolean probabilities,
		double temperature) {}

	/**
	 * Writes the wrapped module.
	 *
	 * @param module the TorchScript file to wrap
	 * @param target the file to write
	 * @param spec what to compute around it
	 * @throws IOException if the module's archive is not one this writer knows (the message says what), or writing fails
	 */
	public static void write(Path module, Path target, Spec spec) throws IOException {
		Map<String, byte[]> entries = new LinkedHashMap<>();
		String prefix = null;
		try (ZipFile zip = new ZipFile(module.toFile())) {
			Enumeration<? extends ZipEntry> e = zip.entries();
			while (e.hasMoreElements()) {
				ZipEntry z = e.nextElement();
				if (z.isDirectory()) continue;
				String name = z.getName();
				int slash = name.indexOf('/');
				if (slash < 0) throw new IOException(module + ": entry " + name + " is outside the archive's folder; not a TorchScript archive this writer knows");
				String p = name.substring(0, slash);
				if (prefix == null) prefix = p;
				else if (!prefix.equals(p)) throw new IOException(module + ": entries in two folders (" + prefix + ", " + p + "); not a TorchScript archive this writer knows");
				if (name.endsWith(".debug_pkl")) continue;
				try (InputStream in = zip.getInputStream(z)) {
					entries.put(name.substring(slash + 1), in.readAllBytes());
				}
			}
		}
		if (prefix == null || !entries.containsKey("data.pkl")) throw new IOException(module + ": no data.pkl; not a TorchScript archive");
		byte[] data = entries.get("data.pkl");
		if (data.length < 4 || (data[0] & 0xff) != 0x80 || data[1] != 2 || data[data.length - 1] != '.') {
			throw new IOException(module + ": its data.pkl is not pickle protocol 2 ending in STOP; not a TorchScript archive this writer knows");
		}
		String root = rootClass(data, module);
		// storage keys of the module are its data/ entries; the wrapper's tensors take the next free numbers
		int next = 0;
		for (String k : entries.keySet()) {
			if (k.startsWith("data/")) {
				try {
					next = Math.max(next, Integer.parseInt(k.substring(5)) + 1);
				} catch (NumberFormatException ex) {
					// another key naming scheme: the wrapper's keys below do not collide with a number anyway
				}
			}
		}
		Map<String, float[]> tensors = new LinkedHashMap<>();
		Map<String, long[]> shapes = new LinkedHashMap<>();
		tensors.put("mean", spec.mean());
		shapes.put("mean", new long[] {1, spec.moduleChannels(), 1, 1});
		tensors.put("std", spec.std());
		shapes.put("std", new long[] {1, spec.moduleChannels(), 1, 1});
		if (spec.headWeight() != null) {
			int f = spec.headWeight().length / spec.classes();
			tensors.put("head_weight", spec.headWeight());
			shapes.put("head_weight", new long[] {spec.classes(), f});
			tensors.put("head_bias", spec.headBias());
			shapes.put("head_bias", new long[] {spec.classes()});
		}
		ByteArrayOutputStream pickle = new ByteArrayOutputStream();
		pickle.write(0x80);
		pickle.write(2);
		global(pickle, "__torch__", CLASS);
		pickle.write(')');
		pickle.write(0x81); // NEWOBJ
		pickle.write('}');
		pickle.write('(');
		unicode(pickle, "training");
		pickle.write(0x89); // NEWFALSE
		unicode(pickle, "net");
		pickle.write(data, 2, data.length - 3); // the module's object, without PROTO and STOP
		for (Map.Entry<String, float[]> t : tensors.entrySet()) {
			String key = Integer.toString(next++);
			unicode(pickle, t.getKey());
			tensor(pickle, key, shapes.get(t.getKey()));
			entries.put("data/" + key, floats(t.getValue()));
		}
		pickle.write('u'); // SETITEMS
		pickle.write('b'); // BUILD
		pickle.write('.');
		entries.put("data.pkl", pickle.toByteArray());
		String code = code(root, spec, tensors.keySet());
		byte[] existing = entries.get("code/__torch__.py");
		String torch = existing == null ? code : new String(existing, StandardCharsets.UTF_8) + (existing.length > 0 && existing[existing.length - 1] == '\n' ? "" : "\n") + code;
		entries.put("code/__torch__.py", torch.getBytes(StandardCharsets.UTF_8));
		if (!entries.containsKey("constants.pkl")) entries.put("constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
		if (!entries.containsKey("version")) entries.put("version", "3\n".getBytes(StandardCharsets.US_ASCII));
		List<String> names = new ArrayList<>(entries.keySet());
		// data.pkl first, as torch.jit.save writes it
		names.remove("data.pkl");
		names.add(0, "data.pkl");
		try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(target))) {
			for (String n : names) {
				byte[] b = entries.get(n);
				ZipEntry z = new ZipEntry("model/" + n);
				// stored, as PyTorch writes its archives (it reads tensors without inflating them)
				z.setMethod(ZipEntry.STORED);
				z.setSize(b.length);
				z.setCompressedSize(b.length);
				CRC32 crc = new CRC32();
				crc.update(b);
				z.setCrc(crc.getValue());
				zip.putNextEntry(z);
				zip.write(b);
				zip.closeEntry();
			}
		}
	}

	/** The qualified class of the pickled root object ({@code GLOBAL} right after {@code PROTO}). */
	private static String rootClass(byte[] data, Path module) throws IOException {
		if (data[2] != 'c') throw new IOException(module + ": its data.pkl does not start with the root object's class; not a TorchScript archive this writer knows");
		int a = 3;
		int nl1 = indexOf(data, (byte) '\n', a);
		int nl2 = nl1 < 0 ? -1 : indexOf(data, (byte) '\n', nl1 + 1);
		if (nl2 < 0) throw new IOException(module + ": damaged data.pkl");
		String mod = new String(data, a, nl1 - a, StandardCharsets.US_ASCII);
		String name = new String(data, nl1 + 1, nl2 - nl1 - 1, StandardCharsets.US_ASCII);
		if (!mod.startsWith("__torch__")) throw new IOException(module + ": its root object is a " + mod + "." + name + ", not a TorchScript module");
		if (name.equals(CLASS) && mod.equals("__torch__")) throw new IOException(module + ": is already a MedCNN export");
		return mod + "." + name;
	}

	private static int indexOf(byte[] b, byte v, int from) {
		for (int i = from; i < b.length; i++) if (b[i] == v) return i;
		return -1;
	}

	/** The wrapper class's TorchScript source, in the form torch.jit.save writes. */
	static String code(String root, Spec spec, java.util.Set<String> buffers) {
		StringBuilder b = new StringBuilder();
		b.append("class ").append(CLASS).append("(Module):\n");
		b.append("  __parameters__ = []\n");
		b.append("  __buffers__ = [");
		int i = 0;
		for (String n : buffers) b.append(i++ > 0 ? ", " : "").append('"').append(n).append('"');
		b.append("]\n");
		b.append("  training : bool\n");
		b.append("  net : ").append(root).append('\n');
		for (String n : buffers) b.append("  ").append(n).append(" : Tensor\n");
		b.append("  def forward(self: __torch__.").append(CLASS).append(",\n    x: Tensor) -> Tensor:\n");
		b.append("    net = self.net\n");
		String in = "x";
		if (spec.moduleChannels() == 3) {
			b.append("    x3 = torch.expand(x, [-1, 3, -1, -1])\n");
			in = "x3";
		}
		b.append("    y = torch.div(torch.sub(").append(in).append(", self.mean), self.std)\n");
		b.append("    out = (net).forward(y, )\n");
		String t = String.format(Locale.ROOT, "%s", spec.temperature());
		if (spec.headWeight() != null) {
			b.append("    pooled = torch.mean(torch.mean(out, [3]), [2])\n");
			b.append("    z = torch.add(torch.matmul(pooled, torch.t(self.head_weight)), self.head_bias)\n");
			b.append("    return torch.softmax(torch.div(z, ").append(t).append("), 1)\n");
		} else if (spec.probabilities()) {
			if (spec.temperature() == 1) {
				b.append("    return out\n");
			} else {
				b.append("    z = torch.log(torch.clamp(out, 1.0e-30))\n");
				b.append("    return torch.softmax(torch.div(z, ").append(t).append("), 1)\n");
			}
		} else {
			b.append("    return torch.softmax(torch.div(out, ").append(t).append("), 1)\n");
		}
		return b.toString();
	}

	private static void global(ByteArrayOutputStream b, String module, String name) {
		byte[] g = ("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
		b.write(g, 0, g.length);
	}

	private static void unicode(ByteArrayOutputStream b, String s) {
		byte[] u = s.getBytes(StandardCharsets.UTF_8);
		b.write('X');
		b.write(u.length & 0xff);
		b.write((u.length >>> 8) & 0xff);
		b.write((u.length >>> 16) & 0xff);
		b.write((u.length >>> 24) & 0xff);
		b.write(u, 0, u.length);
	}

	private static void integer(ByteArrayOutputStream b, long v) {
		b.write('J'); // BININT, 4 bytes little-endian
		b.write((int) (v & 0xff));
		b.write((int) ((v >>> 8) & 0xff));
		b.write((int) ((v >>> 16) & 0xff));
		b.write((int) ((v >>> 24) & 0xff));
	}

	/** {@code torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())} with the storage as a persistent id. */
	private static void tensor(ByteArrayOutputStream b, String key, long[] shape) {
		long numel = 1;
		for (long s : shape) numel *= s;
		global(b, "torch._utils", "_rebuild_tensor_v2");
		b.write('(');
		b.write('(');
		unicode(b, "storage");
		global(b, "torch", "FloatStorage");
		unicode(b, key);
		unicode(b, "cpu");
		integer(b, numel);
		b.write('t');
		b.write('Q'); // BINPERSID
		integer(b, 0);
		b.write('(');
		for (long s : shape) integer(b, s);
		b.write('t');
		b.write('(');
		long stride = 1;
		long[] strides = new long[shape.length];
		for (int i = shape.length - 1; i >= 0; i--) {
			strides[i] = stride;
			stride *= shape[i];
		}
		for (long s : strides) integer(b, s);
		b.write('t');
		b.write(0x89); // requires_grad False
		global(b, "collections", "OrderedDict");
		b.write(')');
		b.write('R');
		b.write('t');
		b.write('R');
	}

	private static byte[] floats(float[] v) {
		ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
		for (float f : v) bb.putFloat(f);
		return bb.array();
	}
}
