package org.medcnn.core.engine;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a CPU trunk as oneDNN convolutions with the activation or residual addition that follows each
 * one fused into it. libtorch's optimized inference graph ({@link InferenceGraph}) and PyTorch's
 * Python {@code optimize_for_inference} leave every ReLU6 of MobileNetV2 as a pass of its own over
 * the feature map (35 of them, about a fifth of a forward pass, memory-bound) and every residual
 * addition too. libtorch 2.5 has the fused kernels ({@code mkldnn::_convolution_pointwise}, the one
 * PyTorch's own compiler uses on CPUs) but no pass that puts them in a TorchScript graph.
 * <p>
 * So, at load: the trunk is frozen in a copy (libtorch's {@code torch::jit::freeze}, without its
 * numeric rewrites, so that every weight keeps the name of the module attribute it came from) only
 * to read its forward graph as text. If that graph holds nothing but 2-d convolutions (each maybe
 * followed by inference batch norm), ReLU6 or ReLU ({@code hardtanh}, {@code relu}) and additions,
 * MedCNN writes TorchScript for it: methods defined on the loaded module
 * ({@code torch::jit::Object::define}) that pack each convolution's weight for oneDNN once, with its
 * batch norm folded in, and return the biases; and the fused forward, the class of a small archive of
 * its own, in which each convolution takes in the activation, or the addition and an activation, that
 * follows it. Activations stay channels-last from the first convolution on. Sessions call that program
 * with the batch, the packed weights and the biases. Any other graph keeps the optimized (or plain)
 * graph.
 * <p>
 * Like {@link InferenceGraph}, a C++ exception in these libtorch calls cannot be caught through JNA,
 * so a trunk is first fused in a child JVM once per trunk and libtorch version, and the fused
 * program's features are compared with the plain module's on a probe input before it is used.
 */
final class FusedGraph {

	/** Name of the method, defined on the trunk, that packs the weights. */
	static final String PACK = "medcnn_fused_pack";

	/** Name of the method, defined on the trunk, that returns the convolutions' biases. */
	static final String BIASES = "medcnn_fused_biases";

	/** Name of the method, defined on the trunk, that turns an {@code Optional[Tensor]} attribute into a tensor. */
	static final String UNWRAP = "medcnn_fused_tensor";

	/** Class of the module that runs the fused program. */
	static final String PROGRAM_CLASS = "MedcnnFusedTrunk";

	/** Batch size the weights are packed for (the engine lanes' half batches; other sizes run on the same packing). */
	static final int PACK_BATCH = 4;

	/** {@code torch::jit::freeze(const Module&, const std::optional<std::vector<std::string>>&, bool)}. */
	static final String FREEZE = "_ZN5torch3jit6freezeERKNS0_6ModuleERKSt8optionalISt6vectorINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESaISB_EEEb";

	/** {@code torch::jit::Module::dump_to_str(bool, bool, bool) const}. */
	static final String DUMP = "_ZNK5torch3jit6Module11dump_to_strB5cxx11Ebbb";

	/** {@code torch::jit::Object::define(const std::string&, const std::shared_ptr<Resolver>&)}. */
	static final String DEFINE = "_ZN5torch3jit6Object6defineERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKSt10shared_ptrINS0_8ResolverEE";

	private FusedGraph() {}

	/** An activation after a convolution or an addition: none, {@code relu}, or {@code hardtanh} with its bounds. */
	record Activation(String name, double min, double max) {
		static final Activation NONE = new Activation("none", 0, 0);

		/** @return the list literal of the activation's scalars, to assign to a variable typed {@code List[Optional[number]]} */
		String scalars() {
			return name.equals("hardtanh") ? "[" + literal(min) + ", " + literal(max) + "]" : "[]";
		}
	}

	/**
	 * One step of the fused program.
	 *
	 * @param out the value it defines
	 * @param in the input value
	 * @param conv the convolution, or null for an activation or addition left on its own
	 * @param addend the value added after the convolution (or, without a convolution, the second operand), or null
	 * @param activation applied last
	 */
	record Step(String out, String in, Conv conv, String addend, Activation activation) {}

	/** A 2-d convolution with its constant weight (an attribute path) and bias (a path or null). */
	record Conv(String weight, int[] weightShape, String bias, int[] stride, int[] padding, int[] dilation, int groups, BatchNorm norm) {
		Conv withNorm(BatchNorm n) {
			return new Conv(weight, weightShape, bias, stride, padding, dilation, groups, n);
		}
	}

	/**
	 * Inference batch norm after a convolution, folded into its weights and bias when they are packed (as
	 * {@code torch.jit.freeze} folds it): {@code gamma} and {@code beta} are attribute paths or null.
	 */
	record BatchNorm(String gamma, String beta, String mean, String variance, double eps) {}

	/** The trunk's forward as fused steps. */
	record Program(String input, List<Step> steps, String result) {
		int convolutions() {
			return (int) steps.stream().filter(s -> s.conv() != null).count();
		}

		int fused() {
			return (int) steps.stream()
				.filter(s -> s.conv() != null && (s.conv().norm() != null || s.addend() != null || !s.activation().name().equals("none"))).count();
		}
	}

	/** A graph that is not fused, and why. */
	static final class NotFusable extends IOException {
		private static final long serialVersionUID = 1L;

		NotFusable(String message) {
			super(message);
		}
	}

	private static final Pattern HEADER_INPUT = Pattern.compile("%([\\w.]+) :");
	private static final Pattern NODE = Pattern.compile("%([\\w.]+) : (.+?) = ([\\w:]+)(\\[.*\\])?\\((.*)\\)");
	private static final Pattern RETURN = Pattern.compile("return \\(%([\\w.]+)\\)");
	private static final Pattern PATH = Pattern.compile("self(\\.\\w+)+");
	private static final Pattern TENSOR_TYPE = Pattern.compile("\\w+\\(([\\d, ]+?)(, strides=.*)?\\)");

	private record Constant(String kind, Object value) {}

	private record Op(String out, String kind, List<String> args) {}

	/**
	 * Reads the forward graph of a frozen module as {@code Module::dump_to_str} prints it and fuses it.
	 *
	 * @param text the dump
	 * @return the fused program
	 * @throws NotFusable naming the first thing in the graph that is not handled
	 */
	static Program parse(String text) throws NotFusable {
		List<String> lines = text.lines().map(String::strip).toList();
		int at = 0;
		while (at < lines.size() && !lines.get(at).startsWith("graph(")) at++;
		if (at == lines.size()) throw new NotFusable("no graph in the module's dump");
		StringBuilder header = new StringBuilder();
		while (at < lines.size()) {
			String l = lines.get(at++);
			header.append(l);
			if (l.endsWith("):")) break;
		}
		List<String> inputs = new ArrayList<>();
		Matcher hm = HEADER_INPUT.matcher(header);
		while (hm.find()) inputs.add(hm.group(1));
		if (inputs.size() != 2) throw new NotFusable("the forward method takes " + (inputs.size() - 1) + " inputs, not one tensor");
		String input = inputs.get(1);
		Map<String, Constant> constants = new HashMap<>();
		List<Op> ops = new ArrayList<>();
		String result = null;
		for (; at < lines.size() && result == null; at++) {
			String l = withoutComment(lines.get(at));
			if (l.isEmpty()) continue;
			Matcher r = RETURN.matcher(l);
			if (r.matches()) {
				result = r.group(1);
				break;
			}
			Matcher m = NODE.matcher(l);
			if (!m.matches()) throw new NotFusable("unsupported line in the graph: " + abbreviate(l));
			String kind = m.group(3);
			if (kind.equals("prim::Constant")) {
				constants.put(m.group(1), constant(m.group(1), m.group(2).strip(), m.group(4)));
				continue;
			}
			if (m.group(4) != null) throw new NotFusable("unsupported node: " + abbreviate(l));
			List<String> args = new ArrayList<>();
			for (String a : m.group(5).split(",")) {
				String s = a.strip();
				if (!s.startsWith("%")) throw new NotFusable("unsupported argument in: " + abbreviate(l));
				args.add(s.substring(1));
			}
			ops.add(new Op(m.group(1), kind, args));
		}
		if (result == null) throw new NotFusable("the graph does not return one tensor");
		return fuse(input, constants, ops, result);
	}

	private static String withoutComment(String line) {
		int hash = line.indexOf(" # ");
		return (hash >= 0 ? line.substring(0, hash) : line).strip();
	}

	private static String abbreviate(String s) {
		return s.length() > 160 ? s.substring(0, 160) + "..." : s;
	}

	private static Constant constant(String name, String type, String attrs) {
		if (attrs == null) return new Constant("none", null);
		String v = attrs.substring(1, attrs.length() - 1);
		if (!v.startsWith("value=")) return new Constant("other", v);
		v = v.substring(6);
		if (type.startsWith("Float(")) {
			// A tensor: printed as <Tensor>, or by value when small. Only its name (the attribute it was) and shape are used.
			Matcher t = TENSOR_TYPE.matcher(type);
			if (!t.matches() || !PATH.matcher(name).matches()) return new Constant("other", v);
			String[] dims = t.group(1).split(",");
			int[] shape = new int[dims.length];
			for (int i = 0; i < dims.length; i++) shape[i] = Integer.parseInt(dims[i].strip());
			return new Constant("tensor", new Object[] {name, shape});
		}
		try {
			if (type.equals("int[]") && v.startsWith("[") && v.endsWith("]")) {
				String[] parts = v.substring(1, v.length() - 1).split(",");
				int[] ints = new int[parts.length];
				for (int i = 0; i < parts.length; i++) ints[i] = Integer.parseInt(parts[i].strip());
				return new Constant("ints", ints);
			}
			if (type.equals("int")) return new Constant("number", Double.valueOf(Long.parseLong(v)));
			if (type.equals("bool")) return new Constant("bool", v.equals("1") || v.equals("True"));
			if (type.equals("float")) return new Constant("number", Double.valueOf(v));
		} catch (NumberFormatException e) {
			return new Constant("other", v);
		}
		return new Constant("other", v);
	}

	private static Program fuse(String input, Map<String, Constant> constants, List<Op> ops, String result) throws NotFusable {
		Map<String, Integer> uses = new HashMap<>();
		Map<String, Integer> definedAt = new HashMap<>();
		definedAt.put(input, -1);
		for (int i = 0; i < ops.size(); i++) {
			for (String a : ops.get(i).args()) uses.merge(a, 1, Integer::sum);
			definedAt.put(ops.get(i).out(), i);
		}
		uses.merge(result, 1, Integer::sum);
		List<Step> steps = new ArrayList<>();
		boolean[] taken = new boolean[ops.size()];
		// An in-place node changes its first input; written out of place, that is the same only if nothing else reads it.
		for (Op o : ops) {
			if (o.kind().endsWith("_") && (o.args().isEmpty() || uses.getOrDefault(o.args().get(0), 0) != 1 || o.args().get(0).equals(input))) {
				throw new NotFusable(o.kind() + " changes a value that is read elsewhere");
			}
		}
		for (int i = 0; i < ops.size(); i++) {
			if (taken[i]) continue;
			Op op = ops.get(i);
			switch (op.kind()) {
				case "aten::conv2d" -> {
					Conv conv = conv(op, constants);
					String in = value(op.args().get(0), definedAt);
					String out = op.out();
					String addend = null;
					Activation act = Activation.NONE;
					int next = i + 1;
					Op consumer = uses.getOrDefault(out, 0) == 1 && next < ops.size() ? ops.get(next) : null;
					if (consumer != null && consumer.kind().equals("aten::batch_norm") && consumer.args().get(0).equals(out)) {
						conv = conv.withNorm(batchNorm(consumer, constants));
						taken[next] = true;
						out = consumer.out();
						next++;
						consumer = uses.getOrDefault(out, 0) == 1 && next < ops.size() ? ops.get(next) : null;
					}
					Activation a = consumer == null ? null : activation(consumer, out, constants);
					if (a != null) {
						act = a;
						taken[next] = true;
						out = consumer.out();
					} else if (consumer != null && isAdd(consumer, constants) && consumer.args().subList(0, 2).contains(out)) {
						String other = consumer.args().get(0).equals(out) ? consumer.args().get(1) : consumer.args().get(0);
						Integer def = definedAt.get(other);
						if (def != null && def < i && !other.equals(out)) {
							addend = value(other, definedAt);
							taken[next] = true;
							out = consumer.out();
							Op after = uses.getOrDefault(out, 0) == 1 && next + 1 < ops.size() ? ops.get(next + 1) : null;
							Activation b = after == null ? null : activation(after, out, constants);
							if (b != null) {
								act = b;
								taken[next + 1] = true;
								out = after.out();
							}
						}
					}
					steps.add(new Step(out, in, conv, addend, act));
				}
				case "aten::hardtanh", "aten::hardtanh_", "aten::relu", "aten::relu_" -> {
					Activation a = activation(op, op.args().get(0), constants);
					if (a == null) throw new NotFusable(op.kind() + " with arguments that are not constants");
					steps.add(new Step(op.out(), value(op.args().get(0), definedAt), null, null, a));
				}
				case "aten::add", "aten::add_" -> {
					if (!isAdd(op, constants)) throw new NotFusable(op.kind() + " with a factor other than 1 or an operand that is not a tensor");
					steps.add(new Step(op.out(), value(op.args().get(0), definedAt), null, value(op.args().get(1), definedAt), Activation.NONE));
				}
				default -> throw new NotFusable(op.kind() + " is not a 2-d convolution (with batch norm), ReLU, ReLU6 or addition");
			}
		}
		Program p = new Program(input, steps, value(result, definedAt));
		if (p.convolutions() == 0) throw new NotFusable("no convolution in the graph");
		return p;
	}

	private static String value(String name, Map<String, Integer> definedAt) throws NotFusable {
		if (!definedAt.containsKey(name)) throw new NotFusable("%" + name + " is not the input or a tensor computed in the graph");
		return name;
	}

	private static boolean isAdd(Op op, Map<String, Constant> constants) {
		if (!op.kind().equals("aten::add") && !op.kind().equals("aten::add_")) return false;
		if (op.args().size() != 3) return false;
		Constant alpha = constants.get(op.args().get(2));
		if (alpha == null || !alpha.kind().equals("number") || (Double) alpha.value() != 1.0) return false;
		return !constants.containsKey(op.args().get(0)) && !constants.containsKey(op.args().get(1));
	}

	/** @return the activation that {@code op} applies to {@code value}, or null if it is not one */
	private static Activation activation(Op op, String value, Map<String, Constant> constants) {
		if (op.args().isEmpty() || !op.args().get(0).equals(value)) return null;
		switch (op.kind()) {
			case "aten::relu", "aten::relu_" -> {
				return op.args().size() == 1 ? new Activation("relu", 0, 0) : null;
			}
			case "aten::hardtanh", "aten::hardtanh_" -> {
				if (op.args().size() != 3) return null;
				Constant lo = constants.get(op.args().get(1));
				Constant hi = constants.get(op.args().get(2));
				if (lo == null || hi == null || !lo.kind().equals("number") || !hi.kind().equals("number")) return null;
				return new Activation("hardtanh", (Double) lo.value(), (Double) hi.value());
			}
			default -> {
				return null;
			}
		}
	}

	private static Conv conv(Op op, Map<String, Constant> constants) throws NotFusable {
		List<String> a = op.args();
		if (a.size() != 7) throw new NotFusable("aten::conv2d with " + a.size() + " arguments");
		Constant w = constants.get(a.get(1));
		if (w == null || !w.kind().equals("tensor") || ((int[]) ((Object[]) w.value())[1]).length != 4) {
			throw new NotFusable("a convolution whose weight is not a float tensor of a module attribute");
		}
		Constant b = constants.get(a.get(2));
		String bias;
		if (b != null && b.kind().equals("none")) bias = null;
		else if (b != null && b.kind().equals("tensor")) bias = (String) ((Object[]) b.value())[0];
		else throw new NotFusable("a convolution whose bias is not a float tensor of a module attribute");
		int[] stride = pair(constants.get(a.get(3)), "stride");
		int[] padding = pair(constants.get(a.get(4)), "padding");
		int[] dilation = pair(constants.get(a.get(5)), "dilation");
		Constant g = constants.get(a.get(6));
		if (g == null || !g.kind().equals("number")) throw new NotFusable("a convolution whose groups are not a constant");
		Object[] wv = (Object[]) w.value();
		return new Conv((String) wv[0], (int[]) wv[1], bias, stride, padding, dilation, (int) (double) (Double) g.value(), null);
	}

	private static BatchNorm batchNorm(Op op, Map<String, Constant> constants) throws NotFusable {
		List<String> a = op.args();
		if (a.size() != 9) throw new NotFusable("aten::batch_norm with " + a.size() + " arguments");
		Constant training = constants.get(a.get(5));
		if (training == null || !training.kind().equals("bool") || (Boolean) training.value()) throw new NotFusable("a batch norm that is not in inference mode");
		String mean = path(constants.get(a.get(3)));
		String variance = path(constants.get(a.get(4)));
		if (mean == null || variance == null) throw new NotFusable("a batch norm without running statistics");
		Constant eps = constants.get(a.get(7));
		if (eps == null || !eps.kind().equals("number")) throw new NotFusable("a batch norm whose eps is not a constant");
		Constant gamma = constants.get(a.get(1));
		Constant beta = constants.get(a.get(2));
		if (gamma == null || beta == null || (path(gamma) == null && !gamma.kind().equals("none")) || (path(beta) == null && !beta.kind().equals("none"))) {
			throw new NotFusable("a batch norm whose scale or shift is not a float tensor of a module attribute");
		}
		return new BatchNorm(path(gamma), path(beta), mean, variance, (Double) eps.value());
	}

	/** @return the attribute path of a tensor constant, or null */
	private static String path(Constant c) {
		return c != null && c.kind().equals("tensor") ? (String) ((Object[]) c.value())[0] : null;
	}

	private static int[] pair(Constant c, String what) throws NotFusable {
		if (c == null || !c.kind().equals("ints")) throw new NotFusable("a convolution whose " + what + " is not a constant (padding by name?)");
		int[] v = (int[]) c.value();
		if (v.length == 1) return new int[] {v[0], v[0]};
		if (v.length != 2) throw new NotFusable("a convolution with a " + what + " of " + v.length + " values");
		return v;
	}

	/** The generated TorchScript: methods defined on the trunk, and the fused program's class. */
	record Sources(String trunkMethods, String program, int biases) {}

	/**
	 * Writes the TorchScript: on the trunk, a method that packs the weights for inputs of
	 * {@code batch x channels x height x width} and one that returns the biases; and the fused forward,
	 * as the class of a module of its own that takes the input, the packed weights and the biases.
	 * (A method defined on the loaded trunk can call only {@code aten} operators; the fused kernels
	 * are {@code mkldnn} operators, which only code read from a TorchScript archive can name.)
	 *
	 * @param p the program
	 * @param batch batch size to pack for
	 * @param channels input channels
	 * @param height input height
	 * @param width input width
	 * @return the sources
	 * @throws NotFusable when the shapes do not chain (a weight that does not fit its input)
	 */
	static Sources sources(Program p, int batch, int channels, int height, int width) throws NotFusable {
		Map<String, int[]> shapes = new HashMap<>();
		shapes.put(p.input(), new int[] {batch, channels, height, width});
		StringBuilder pack = new StringBuilder();
		pack.append("def ").append(PACK).append("(self) -> List[Tensor]:\n");
		pack.append("    packed: List[Tensor] = []\n");
		StringBuilder biases = new StringBuilder();
		biases.append("def ").append(BIASES).append("(self) -> List[Tensor]:\n");
		biases.append("    biases: List[Tensor] = []\n");
		StringBuilder fwd = new StringBuilder();
		Map<String, String> names = new HashMap<>();
		names.put(p.input(), "v_input");
		int k = 0;
		int conv = 0;
		int bias = 0;
		for (Step s : p.steps()) {
			String v = "v" + k++;
			int[] in = shapes.get(s.in());
			if (in == null) throw new NotFusable("no shape for %" + s.in());
			String x = names.get(s.in());
			if (s.addend() != null && names.get(s.addend()) == null) throw new NotFusable("no value for %" + s.addend());
			if (s.conv() != null) {
				Conv c = s.conv();
				int[] w = c.weightShape();
				if (in[1] != w[1] * c.groups()) throw new NotFusable("a convolution with " + w[1] * c.groups() + " input channels gets " + in[1]);
				int oh = (in[2] + 2 * c.padding()[0] - c.dilation()[0] * (w[2] - 1) - 1) / c.stride()[0] + 1;
				int ow = (in[3] + 2 * c.padding()[1] - c.dilation()[1] * (w[3] - 1) - 1) / c.stride()[1] + 1;
				int[] out = {in[0], w[0], oh, ow};
				String geometry = ints(c.padding()) + ", " + ints(c.stride()) + ", " + ints(c.dilation()) + ", " + c.groups();
				String weight = attribute(c.weight());
				BatchNorm bn = c.norm();
				if (bn != null) {
					// scale = gamma / sqrt(var + eps); weight * scale per output channel; bias (b - mean) * scale + beta: freeze's folding.
					String scale = "torch.rsqrt(torch.add(" + tensor(bn.variance()) + ", " + literal(bn.eps()) + "))";
					if (bn.gamma() != null) scale = "torch.mul(" + scale + ", " + tensor(bn.gamma()) + ")";
					pack.append("    s").append(conv).append(" = ").append(scale).append("\n");
					weight = "torch.mul(" + weight + ", torch.reshape(s" + conv + ", [-1, 1, 1, 1]))";
					biases.append("    s").append(conv).append(" = ").append(scale).append("\n");
					String shifted = c.bias() == null ? "torch.neg(" + tensor(bn.mean()) + ")" : "torch.sub(" + tensor(c.bias()) + ", " + tensor(bn.mean()) + ")";
					String folded = "torch.mul(" + shifted + ", s" + conv + ")";
					if (bn.beta() != null) folded = "torch.add(" + folded + ", " + tensor(bn.beta()) + ")";
					biases.append("    biases.append(").append(folded).append(")\n");
				}
				pack.append("    packed.append(torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(").append(weight).append("), ")
					.append(geometry).append(", ").append(ints(in)).append("))\n");
				String b = "None";
				if (bn == null && c.bias() != null) biases.append("    biases.append(").append(tensor(c.bias())).append(")\n");
				if (bn != null || c.bias() != null) b = "biases[" + bias++ + "]";
				// The kernel takes its scalars as Scalar?[]: a bare list literal would be typed List[float].
				String scalars = "annotate(List[Optional[number]], " + s.activation().scalars() + ")";
				fwd.append("    ").append(v).append(" = ops.mkldnn._convolution_pointwise(").append(x).append(", ");
				if (s.addend() != null) {
					int[] other = shapes.get(s.addend());
					if (other == null || !java.util.Arrays.equals(other, out)) throw new NotFusable("an addition of tensors of different shapes");
					String act = s.activation().name().equals("none") ? "None" : "\"" + s.activation().name() + "\"";
					fwd.append(names.get(s.addend())).append(", packed[").append(conv).append("], ").append(b).append(", ").append(geometry)
						.append(", \"add\", None, ").append(act).append(", ").append(scalars).append(", None)\n");
				} else {
					fwd.append("packed[").append(conv).append("], ").append(b).append(", ").append(geometry).append(", \"")
						.append(s.activation().name()).append("\", ").append(scalars).append(", None)\n");
				}
				conv++;
				shapes.put(s.out(), out);
			} else if (s.addend() != null) {
				fwd.append("    ").append(v).append(" = torch.add(").append(x).append(", ").append(names.get(s.addend())).append(")\n");
				shapes.put(s.out(), in);
			} else if (s.activation().name().equals("relu")) {
				fwd.append("    ").append(v).append(" = torch.relu(").append(x).append(")\n");
				shapes.put(s.out(), in);
			} else {
				fwd.append("    ").append(v).append(" = torch.hardtanh(").append(x).append(", ").append(literal(s.activation().min())).append(", ")
					.append(literal(s.activation().max())).append(")\n");
				shapes.put(s.out(), in);
			}
			names.put(s.out(), v);
		}
		pack.append("    return packed\n");
		biases.append("    return biases\n");
		// Attributes that the module's class types Optional[Tensor] (a convolution's bias, batch norm's statistics) are
		// unwrapped by this method; an attribute that is None fails the packing, and the trunk keeps the optimized graph.
		String unwrap = "def " + UNWRAP + "(self, t: Optional[Tensor]) -> Tensor:\n    assert t is not None\n    return t\n";
		StringBuilder cls = new StringBuilder();
		cls.append("class ").append(PROGRAM_CLASS).append("(Module):\n");
		cls.append("  __parameters__ = []\n");
		cls.append("  __buffers__ = []\n");
		cls.append("  training : bool\n");
		cls.append("  def forward(self: __torch__.").append(PROGRAM_CLASS).append(",\n    x: Tensor,\n    packed: List[Tensor]");
		if (bias > 0) cls.append(",\n    biases: List[Tensor]");
		cls.append(") -> Tensor:\n");
		// Channels-last (memory format 2) from here on: the fused kernels keep the layout of their input.
		cls.append("    v_input = torch.contiguous(x, memory_format=2)\n");
		cls.append(fwd);
		cls.append("    return ").append(names.get(p.result())).append("\n");
		return new Sources(unwrap + "\n" + pack + "\n" + biases, cls.toString(), bias);
	}

	/**
	 * A TorchScript archive holding one module of the program's class, with no tensors of its own (as
	 * {@code torch.jit.save} writes one: a pickled object, its class's code, no constants).
	 *
	 * @param code the class's source
	 * @return the archive's bytes
	 * @throws IOException never, in practice (in-memory)
	 */
	static byte[] archive(String code) throws IOException {
		java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
		try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
			entry(zip, "fused/data.pkl", pickledModule(PROGRAM_CLASS));
			entry(zip, "fused/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
			entry(zip, "fused/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // an empty tuple
			entry(zip, "fused/version", "3\n".getBytes(StandardCharsets.US_ASCII));
		}
		return bytes.toByteArray();
	}

	private static void entry(java.util.zip.ZipOutputStream zip, String name, byte[] data) throws IOException {
		zip.putNextEntry(new java.util.zip.ZipEntry(name));
		zip.write(data);
		zip.closeEntry();
	}

	/** Pickle protocol 2: an object of class {@code __torch__.<name>} whose state is {@code {"training": False}}. */
	private static byte[] pickledModule(String name) {
		java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
		b.write(0x80); // PROTO 2
		b.write(2);
		byte[] global = ("c__torch__\n" + name + "\n").getBytes(StandardCharsets.US_ASCII); // GLOBAL
		b.write(global, 0, global.length);
		b.write(')'); // EMPTY_TUPLE
		b.write(0x81); // NEWOBJ
		b.write('}'); // EMPTY_DICT
		b.write('('); // MARK
		byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
		b.write('X'); // BINUNICODE, 4-byte little-endian length
		b.write(key.length);
		b.write(0);
		b.write(0);
		b.write(0);
		b.write(key, 0, key.length);
		b.write(0x89); // NEWFALSE
		b.write('u'); // SETITEMS
		b.write('b'); // BUILD
		b.write('.'); // STOP
		return b.toByteArray();
	}

	/** @return the attribute at {@code path} as a Tensor, through {@link #UNWRAP} */
	private static String tensor(String path) {
		return "self." + UNWRAP + "(" + attribute(path) + ")";
	}

	/** {@code self.features.0.weight} as TorchScript: attributes whose names are not identifiers through getattr. */
	static String attribute(String path) {
		String[] parts = path.split("\\.");
		String expr = parts[0];
		for (int i = 1; i < parts.length; i++) {
			expr = parts[i].matches("[A-Za-z_]\\w*") ? expr + "." + parts[i] : "getattr(" + expr + ", \"" + parts[i] + "\")";
		}
		return expr;
	}

	private static String ints(int[] v) {
		StringBuilder b = new StringBuilder("[");
		for (int i = 0; i < v.length; i++) b.append(i > 0 ? ", " : "").append(v[i]);
		return b.append(']').toString();
	}

	private static String literal(double d) {
		return String.format(Locale.ROOT, "%s", d);
	}

	/** A trunk that runs fused: the program's module, and the packed weights and biases it takes, kept for the model's life. */
	static final class Fused implements AutoCloseable {
		private final ZooModel<NDList, NDList> program;
		private final NDArray[] weights;
		private final NDArray[] biases;
		private final int convolutions;
		private final int fused;
		private final java.util.concurrent.atomic.LongAdder calls = new java.util.concurrent.atomic.LongAdder();
		private double difference = Double.NaN;

		Fused(ZooModel<NDList, NDList> program, NDArray[] weights, NDArray[] biases, int convolutions, int fused) {
			this.program = program;
			this.weights = weights;
			this.biases = biases;
			this.convolutions = convolutions;
			this.fused = fused;
		}

		/** @return the module that runs the fused program (in the place of the trunk's own forward) */
		ZooModel<NDList, NDList> program() {
			return program;
		}

		/** @return the program's inputs for one call: the batch, the packed weights, the biases (grouped into lists by DJL by their names) */
		NDList inputs(NDArray x) {
			calls.increment();
			NDList list = new NDList(weights.length + biases.length + 1);
			list.add(x);
			for (NDArray w : weights) list.add(w);
			for (NDArray b : biases) list.add(b);
			return list;
		}

		/** @return how many calls the fused program has been given inputs for (to show that it is what runs) */
		long calls() {
			return calls.sum();
		}

		/** @return the largest difference of the fused features from the plain ones on the probe input, relative */
		double difference() {
			return difference;
		}

		void difference(double d) {
			difference = d;
		}

		/** Frees the program and the packed weights. */
		@Override
		public void close() {
			for (NDArray w : weights) w.close();
			for (NDArray b : biases) b.close();
			program.close();
		}

		/** @return e.g. "45 of 52 convolutions fused with the batch norm, activation or addition after them" */
		String summary() {
			return fused + " of " + convolutions + " convolutions fused with the batch norm, activation or addition after them";
		}
	}

	/**
	 * Fuses a loaded trunk: reads its graph, defines the packing methods on it, packs the weights and
	 * loads the fused program. Throws (JVM-ending) C++ exceptions for graphs that libtorch rejects:
	 * call only for trunks vetted in a child process.
	 *
	 * @param block the loaded (plain, not frozen) module
	 * @param handle its native handle
	 * @param manager where the packed weights live (the trunk's)
	 * @param library libtorch_cpu
	 * @param width input width
	 * @param height input height
	 * @return the fused state
	 * @throws IOException naming why the trunk is not fused
	 */
	static Fused fuse(PtSymbolBlock block, long handle, NDManager manager, com.sun.jna.NativeLibrary library, int width, int height) throws IOException {
		Program program = parse(frozenGraph(handle, library));
		Sources src = sources(program, PACK_BATCH, 3, height, width);
		Function define = library.getFunction(DEFINE);
		byte[] bytes = src.trunkMethods().getBytes(StandardCharsets.UTF_8);
		Memory chars = new Memory(bytes.length + 1L);
		chars.write(0, bytes, 0, bytes.length);
		chars.setByte(bytes.length, (byte) 0);
		Memory string = new Memory(32); // std::string: data pointer, length, capacity (heap form)
		string.setPointer(0, chars);
		string.setLong(8, bytes.length);
		string.setLong(16, bytes.length);
		string.setLong(24, 0);
		Memory noResolver = new Memory(16); // an empty std::shared_ptr: libtorch's own resolver
		noResolver.clear();
		define.invokeVoid(new Object[] {new Pointer(handle), string, noResolver});
		PtNDArray[] weights = tensors(block, PACK, manager, "packed[]");
		PtNDArray[] biases = tensors(block, BIASES, manager, "biases[]");
		if (biases.length != src.biases()) throw new IOException("the trunk gave " + biases.length + " biases, not " + src.biases());
		Path file = Files.createTempFile("medcnn-fused", ".pt");
		ZooModel<NDList, NDList> zoo;
		try {
			Files.write(file, archive(src.program()));
			zoo = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(file).optEngine(EnginePolicy.ENGINE)
				.optDevice(manager.getDevice()).optTranslator(new NoopTranslator(null)).build().loadModel();
		} catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
			for (NDArray a : weights) a.close();
			for (NDArray a : biases) a.close();
			throw new IOException("the fused program did not load: " + ClassifierModel.firstLine(e), e);
		} finally {
			Files.deleteIfExists(file);
		}
		return new Fused(zoo, weights, biases, program.convolutions(), program.fused());
	}

	private static PtNDArray[] tensors(PtSymbolBlock block, String method, NDManager manager, String name) throws IOException {
		IValue list = IValueUtils.runMethod(block, method);
		PtNDArray[] arrays;
		try {
			if (!list.isTensorList()) throw new IOException(method + " returned " + list.getType());
			arrays = list.toTensorArray((PtNDManager) manager);
		} finally {
			list.close();
		}
		for (PtNDArray a : arrays) a.setName(name);
		return arrays;
	}

	/** @return the forward graph of a frozen copy of the module, as text */
	static String frozenGraph(long handle, com.sun.jna.NativeLibrary library) throws IOException {
		Function freeze = library.getFunction(FREEZE);
		Function dump = library.getFunction(DUMP);
		long frozen = Native.malloc(InferenceGraph.MODULE_BYTES);
		if (frozen == 0) throw new IOException("out of native memory");
		new Pointer(frozen).clear(InferenceGraph.MODULE_BYTES);
		Memory noPreserved = new Memory(32); // an empty std::optional<std::vector<std::string>>
		noPreserved.clear();
		try {
			// optimize_numerics = false: no folding, so weights keep their attribute names
			freeze.invokeVoid(new Object[] {new Pointer(frozen), new Pointer(handle), noPreserved, Boolean.FALSE});
		} catch (RuntimeException | Error e) {
			Native.free(frozen);
			throw new IOException("freezing a copy of the trunk failed: " + e, e);
		}
		try {
			Memory out = new Memory(32);
			out.clear();
			dump.invokeVoid(new Object[] {out, new Pointer(frozen), Boolean.TRUE, Boolean.FALSE, Boolean.FALSE});
			Pointer data = out.getPointer(0);
			long length = out.getLong(8);
			if (data == null || length < 0 || length > Integer.MAX_VALUE) throw new IOException("unexpected graph text from libtorch");
			String text = new String(data.getByteArray(0, (int) length), StandardCharsets.UTF_8);
			// A long string lives on the heap (freed here with glibc's free, like C++ delete); a short one inside the struct.
			if (Pointer.nativeValue(data) != Pointer.nativeValue(out) + 16) Native.free(Pointer.nativeValue(data));
			return text;
		} finally {
			ai.djl.pytorch.jni.JniUtils.deleteModule(frozen);
		}
	}
}
