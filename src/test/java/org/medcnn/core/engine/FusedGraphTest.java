package org.medcnn.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * How {@link FusedGraph} reads a frozen graph and what it writes, on graph text as libtorch prints it.
 * That the fused trunk really runs and gives the plain graph's features: InferenceGraphTest and
 * OptimizedGraphNumericsTest, on the shipped trunks.
 */
class FusedGraphTest {

	/** An inverted-residual block as libtorch 2.5 dumps a frozen MobileNetV2 (types and comments shortened). */
	private static final String BLOCK = """
		module __torch__.Features {
		  methods {
		    method forward {
		      graph(%self.1 : __torch__.Features,
		            %x.1 : Tensor):
		        %p0 : int[] = prim::Constant[value=[0, 0]]()
		        %p1 : int[] = prim::Constant[value=[1, 1]]()
		        %s2 : int[] = prim::Constant[value=[2, 2]]()
		        %lo : float = prim::Constant[value=0.]() # activation.py:234:33
		        %hi : float = prim::Constant[value=6.]() # activation.py:234:47
		        %one : int = prim::Constant[value=1]()
		        %g8 : int = prim::Constant[value=8]()
		        %none : NoneType = prim::Constant()
		        %self.stem.weight : Float(8, 3, 3, 3, strides=[27, 9, 3, 1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
		        %self.stem.bias : Float(8, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
		        %self.block.0.weight : Float(8, 1, 3, 3, strides=[9, 9, 3, 1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
		        %self.block.1.weight : Float(8, 8, 1, 1, strides=[8, 1, 1, 1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
		        %self.block.1.bias : Float(8, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
		        %a : Tensor = aten::conv2d(%x.1, %self.stem.weight, %self.stem.bias, %s2, %p1, %p1, %one) # conv.py:459:15
		        %b : Tensor = aten::hardtanh_(%a, %lo, %hi) # functional.py:1506:17
		        %c : Tensor = aten::conv2d(%b, %self.block.0.weight, %none, %p1, %p1, %p1, %g8)
		        %d : Tensor = aten::relu(%c)
		        %e : Tensor = aten::conv2d(%d, %self.block.1.weight, %self.block.1.bias, %p1, %p0, %p1, %one)
		        %f : Tensor = aten::add(%b, %e, %one) # mobilenetv2.py:62:19
		        %g : Tensor = aten::relu_(%f)
		        return (%g)
		    }
		  }
		}
		""";

	@Test
	void eachConvolutionTakesInTheActivationOrTheAdditionAndActivationAfterIt() throws Exception {
		FusedGraph.Program p = FusedGraph.parse(BLOCK);
		assertEquals("x.1", p.input());
		assertEquals(3, p.steps().size());
		assertEquals(3, p.convolutions());
		assertEquals(3, p.fused());
		FusedGraph.Step stem = p.steps().get(0);
		assertEquals("b", stem.out());
		assertEquals("hardtanh", stem.activation().name());
		assertEquals(6.0, stem.activation().max());
		assertArrayEquals(new int[] {2, 2}, stem.conv().stride());
		FusedGraph.Step dw = p.steps().get(1);
		assertEquals(8, dw.conv().groups());
		assertNull(dw.conv().bias());
		assertEquals("relu", dw.activation().name());
		FusedGraph.Step project = p.steps().get(2);
		assertEquals("b", project.addend(), "the residual addition goes into the projection");
		assertEquals("relu", project.activation().name(), "and the activation after the addition too");
		assertEquals("g", p.result());
	}

	@Test
	void theSourcesPackOnTheTrunkAndRunTheFusedKernelsInTheProgram() throws Exception {
		FusedGraph.Sources s = FusedGraph.sources(FusedGraph.parse(BLOCK), 4, 3, 32, 32);
		assertEquals(2, s.biases());
		String trunk = s.trunkMethods();
		assertTrue(trunk.contains("torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(self.stem.weight), [1, 1], [2, 2], [1, 1], 1, [4, 3, 32, 32])"), trunk);
		// The depthwise convolution gets the stem's output: 8 channels at half the size.
		assertTrue(trunk.contains("torch.to_mkldnn(getattr(self.block, \"0\").weight), [1, 1], [1, 1], [1, 1], 8, [4, 8, 16, 16])"), trunk);
		// Attributes typed Optional[Tensor] (a convolution's bias) go through the unwrapping method.
		assertTrue(trunk.contains("biases.append(self.medcnn_fused_tensor(getattr(self.block, \"1\").bias))"), trunk);
		String program = s.program();
		assertTrue(program.startsWith("class " + FusedGraph.PROGRAM_CLASS + "(Module):"), program);
		assertTrue(program.contains("v_input = torch.contiguous(x, memory_format=2)"), program);
		assertTrue(program.contains("v0 = ops.mkldnn._convolution_pointwise(v_input, packed[0], biases[0], [1, 1], [2, 2], [1, 1], 1, \"hardtanh\", "
			+ "annotate(List[Optional[number]], [0.0, 6.0]), None)"), program);
		assertTrue(program.contains("v1 = ops.mkldnn._convolution_pointwise(v0, packed[1], None, [1, 1], [1, 1], [1, 1], 8, \"relu\""), program);
		assertTrue(program.contains("v2 = ops.mkldnn._convolution_pointwise(v1, v0, packed[2], biases[1], [0, 0], [1, 1], [1, 1], 1, \"add\", None, \"relu\""),
			program);
		assertTrue(program.endsWith("    return v2\n"), program);
	}

	@Test
	void aBatchNormAfterAConvolutionIsFoldedIntoItsPackedWeightAndBias() throws Exception {
		String bn = BLOCK.replace("%none : NoneType = prim::Constant()", """
			%none : NoneType = prim::Constant()
			%off : bool = prim::Constant[value=0]()
			%eps : float = prim::Constant[value=1.0000000000000001e-05]()
			%momentum : float = prim::Constant[value=0.10000000000000001]()
			%self.bn.weight : Float(8, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
			%self.bn.bias : Float(8, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
			%self.bn.running_mean : Float(8, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()
			%self.bn.running_var : Float(8, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor>]()""")
			.replace("%d : Tensor = aten::relu(%c)", """
			%n : Tensor = aten::batch_norm(%c, %self.bn.weight, %self.bn.bias, %self.bn.running_mean, %self.bn.running_var, %off, %momentum, %eps, %off)
			%d : Tensor = aten::relu(%n)""");
		FusedGraph.Program p = FusedGraph.parse(bn);
		FusedGraph.Step dw = p.steps().get(1);
		assertEquals(new FusedGraph.BatchNorm("self.bn.weight", "self.bn.bias", "self.bn.running_mean", "self.bn.running_var", 1e-5), dw.conv().norm());
		assertEquals("relu", dw.activation().name(), "the activation after the batch norm is fused too");
		assertEquals("d", dw.out());
		FusedGraph.Sources s = FusedGraph.sources(p, 4, 3, 32, 32);
		String scale = "s1 = torch.mul(torch.rsqrt(torch.add(self.medcnn_fused_tensor(self.bn.running_var), 1.0E-5)), self.medcnn_fused_tensor(self.bn.weight))";
		assertTrue(s.trunkMethods().contains(scale), s.trunkMethods());
		assertTrue(s.trunkMethods().contains("torch.to_mkldnn(torch.mul(getattr(self.block, \"0\").weight, torch.reshape(s1, [-1, 1, 1, 1])))"), s.trunkMethods());
		assertTrue(s.trunkMethods().contains("biases.append(torch.add(torch.mul(torch.neg(self.medcnn_fused_tensor(self.bn.running_mean)), s1), "
			+ "self.medcnn_fused_tensor(self.bn.bias)))"), s.trunkMethods());
		assertEquals(3, s.biases(), "the depthwise convolution has no bias of its own, but its folded batch norm gives it one");
		assertTrue(s.program().contains("v1 = ops.mkldnn._convolution_pointwise(v0, packed[1], biases[1], "), s.program());
		FusedGraph.NotFusable training = assertThrows(FusedGraph.NotFusable.class, () -> FusedGraph.parse(bn.replace("%off : bool = prim::Constant[value=0]()",
			"%off : bool = prim::Constant[value=1]()")));
		assertTrue(training.getMessage().contains("not in inference mode"), training.getMessage());
	}

	@Test
	void whatIsNotAConvolutionActivationOrAdditionIsNamed() {
		FusedGraph.NotFusable mul = assertThrows(FusedGraph.NotFusable.class, () -> FusedGraph.parse(BLOCK.replace("aten::relu(%c)", "aten::mul(%c, %c)")));
		assertTrue(mul.getMessage().startsWith("aten::mul is not"), mul.getMessage());
		// ReLU6 in place on the stem's output, which the residual addition reads too: not the same written out of place.
		String shared = BLOCK.replace("aten::conv2d(%b, %self.block.0.weight", "aten::conv2d(%a, %self.block.0.weight").replace("aten::add(%b, %e", "aten::add(%a, %e");
		FusedGraph.NotFusable inPlace = assertThrows(FusedGraph.NotFusable.class, () -> FusedGraph.parse(shared));
		assertTrue(inPlace.getMessage().contains("changes a value that is read elsewhere"), inPlace.getMessage());
		FusedGraph.NotFusable scaled = assertThrows(FusedGraph.NotFusable.class,
			() -> FusedGraph.parse(BLOCK.replace("%one : int = prim::Constant[value=1]()", "%one : int = prim::Constant[value=1]()\n%two : int = prim::Constant[value=2]()")
				.replace("aten::add(%b, %e, %one)", "aten::add(%b, %e, %two)")));
		assertTrue(scaled.getMessage().contains("factor other than 1"), scaled.getMessage());
		FusedGraph.NotFusable channels = assertThrows(FusedGraph.NotFusable.class,
			() -> FusedGraph.sources(FusedGraph.parse(BLOCK), 1, 1, 32, 32));
		assertTrue(channels.getMessage().contains("3 input channels gets 1"), channels.getMessage());
		assertThrows(FusedGraph.NotFusable.class, () -> FusedGraph.parse("module m {\n}\n"));
	}

	@Test
	void attributesWhoseNamesAreNotIdentifiersAreReachedThroughGetattr() {
		assertEquals("self.conv.weight", FusedGraph.attribute("self.conv.weight"));
		assertEquals("getattr(getattr(self.features, \"0\"), \"1\").bias", FusedGraph.attribute("self.features.0.1.bias"));
	}

	@Test
	void theArchiveIsAModuleWithNoTensorsAsTorchSavesOne() throws Exception {
		byte[] zip = FusedGraph.archive("class X(Module):\n  training : bool\n");
		List<String> names = new ArrayList<>();
		byte[] pickle = null;
		try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
			for (ZipEntry e; (e = in.getNextEntry()) != null;) {
				names.add(e.getName());
				if (e.getName().endsWith("data.pkl")) pickle = in.readAllBytes();
			}
		}
		assertEquals(List.of("fused/data.pkl", "fused/code/__torch__.py", "fused/constants.pkl", "fused/version"), names);
		String text = new String(pickle, java.nio.charset.StandardCharsets.ISO_8859_1);
		assertTrue(text.startsWith("\u0080\u0002c__torch__\n" + FusedGraph.PROGRAM_CLASS + "\n)\u0081}(X\u0008\u0000\u0000\u0000training\u0089ub."), text);
	}
}
