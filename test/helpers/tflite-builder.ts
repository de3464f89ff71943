/**
 * Builds small TFLite flatbuffers with the generated code and the flatbuffers Builder, so reader
 * tests can state exactly what is in the file (and break one thing at a time).
 */
import * as flatbuffers from "flatbuffers";
import * as fb from "../../src/import/tflite/schema/schema_generated.js";

export interface SpecTensor {
  name: string;
  shape: number[];
  type: fb.TensorType;
  buffer: number;
  scale?: number[];
  zeroPoint?: number[];
  quantizedDimension?: number;
  shapeSignature?: number[];
}

export interface SpecOperator {
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  /** writes the options table and returns [union type, offset] */
  options?: (b: flatbuffers.Builder) => [fb.BuiltinOptions, flatbuffers.Offset];
}

export interface SpecModel {
  opcodes: Array<{ code: fb.BuiltinOperator; version?: number; custom?: string }>;
  buffers: Array<Uint8Array | null>;
  tensors: SpecTensor[];
  operators: SpecOperator[];
  inputs: number[];
  outputs: number[];
  /** 0 = a model without subgraphs; 2 = the subgraph twice */
  subgraphs?: number;
  /** the subgraph's tensors vector refers to tensor 0 this many times (crafted sharing) */
  shareTensor0?: number;
}

/** in int8 [1,4] -> FULLY_CONNECTED(weights int8 [2,4], bias int32 [2]) -> out int8 [1,2] */
export function smallModel(): SpecModel {
  return {
    opcodes: [{ code: fb.BuiltinOperator.FULLY_CONNECTED, version: 4 }],
    buffers: [null, null, new Uint8Array(8).map((_, i) => i + 1), new Uint8Array(8), null],
    tensors: [
      { name: "in", shape: [1, 4], type: fb.TensorType.INT8, buffer: 1, scale: [0.5], zeroPoint: [-128] },
      { name: "w", shape: [2, 4], type: fb.TensorType.INT8, buffer: 2, scale: [0.01], zeroPoint: [0] },
      { name: "b", shape: [2], type: fb.TensorType.INT32, buffer: 3, scale: [0.005], zeroPoint: [0] },
      { name: "out", shape: [1, 2], type: fb.TensorType.INT8, buffer: 4, scale: [0.25], zeroPoint: [3], shapeSignature: [-1, 2] },
    ],
    operators: [
      {
        opcodeIndex: 0,
        inputs: [0, 1, 2],
        outputs: [3],
        options: (b) => [
          fb.BuiltinOptions.FullyConnectedOptions,
          fb.FullyConnectedOptions.createFullyConnectedOptions(
            b,
            fb.ActivationFunctionType.RELU6,
            fb.FullyConnectedOptionsWeightsFormat.DEFAULT,
            false,
            false,
            fb.TensorType.FLOAT32,
          ),
        ],
      },
    ],
    inputs: [0],
    outputs: [3],
  };
}

export function buildTflite(spec: SpecModel): Uint8Array {
  const b = new flatbuffers.Builder(1024);
  const buffers = spec.buffers.map((data) => {
    const dataOff = data ? fb.Buffer.createDataVector(b, data) : 0;
    fb.Buffer.startBuffer(b);
    if (data) fb.Buffer.addData(b, dataOff);
    return fb.Buffer.endBuffer(b);
  });
  const tensors = spec.tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = fb.Tensor.createShapeVector(b, t.shape);
    const sig = t.shapeSignature ? fb.Tensor.createShapeSignatureVector(b, t.shapeSignature) : 0;
    let q = 0;
    if (t.scale) {
      const scale = fb.QuantizationParameters.createScaleVector(b, t.scale);
      const zp = fb.QuantizationParameters.createZeroPointVector(b, (t.zeroPoint ?? []).map(BigInt));
      fb.QuantizationParameters.startQuantizationParameters(b);
      fb.QuantizationParameters.addScale(b, scale);
      fb.QuantizationParameters.addZeroPoint(b, zp);
      fb.QuantizationParameters.addQuantizedDimension(b, t.quantizedDimension ?? 0);
      q = fb.QuantizationParameters.endQuantizationParameters(b);
    }
    fb.Tensor.startTensor(b);
    fb.Tensor.addShape(b, shape);
    fb.Tensor.addType(b, t.type);
    fb.Tensor.addBuffer(b, t.buffer);
    fb.Tensor.addName(b, name);
    if (q) fb.Tensor.addQuantization(b, q);
    if (sig) fb.Tensor.addShapeSignature(b, sig);
    return fb.Tensor.endTensor(b);
  });
  const operators = spec.operators.map((op) => {
    const inputs = fb.Operator.createInputsVector(b, op.inputs);
    const outputs = fb.Operator.createOutputsVector(b, op.outputs);
    const options = op.options?.(b);
    fb.Operator.startOperator(b);
    fb.Operator.addOpcodeIndex(b, op.opcodeIndex);
    fb.Operator.addInputs(b, inputs);
    fb.Operator.addOutputs(b, outputs);
    if (options) {
      fb.Operator.addBuiltinOptionsType(b, options[0]);
      fb.Operator.addBuiltinOptions(b, options[1]);
    }
    return fb.Operator.endOperator(b);
  });
  const subgraphCount = spec.subgraphs ?? 1;
  const subgraphs: number[] = [];
  if (subgraphCount > 0) {
    const tensorsVec = fb.SubGraph.createTensorsVector(
      b,
      spec.shareTensor0 !== undefined ? Array<number>(spec.shareTensor0).fill(tensors[0]!) : tensors,
    );
    const operatorsVec = fb.SubGraph.createOperatorsVector(b, operators);
    const inputs = fb.SubGraph.createInputsVector(b, spec.inputs);
    const outputs = fb.SubGraph.createOutputsVector(b, spec.outputs);
    const name = b.createString("main");
    fb.SubGraph.startSubGraph(b);
    fb.SubGraph.addTensors(b, tensorsVec);
    fb.SubGraph.addOperators(b, operatorsVec);
    fb.SubGraph.addInputs(b, inputs);
    fb.SubGraph.addOutputs(b, outputs);
    fb.SubGraph.addName(b, name);
    const sg = fb.SubGraph.endSubGraph(b);
    for (let i = 0; i < subgraphCount; i++) subgraphs.push(sg);
  }
  const opcodes = spec.opcodes.map((c) => {
    const custom = c.custom !== undefined ? b.createString(c.custom) : 0;
    fb.OperatorCode.startOperatorCode(b);
    fb.OperatorCode.addDeprecatedBuiltinCode(b, Math.min(c.code, 127));
    fb.OperatorCode.addBuiltinCode(b, c.code);
    fb.OperatorCode.addVersion(b, c.version ?? 1);
    if (custom) fb.OperatorCode.addCustomCode(b, custom);
    return fb.OperatorCode.endOperatorCode(b);
  });
  const opcodesVec = fb.Model.createOperatorCodesVector(b, opcodes);
  const subgraphsVec = fb.Model.createSubgraphsVector(b, subgraphs);
  const buffersVec = fb.Model.createBuffersVector(b, buffers);
  const description = b.createString("built by strongnet's tests");
  fb.Model.startModel(b);
  fb.Model.addVersion(b, 3);
  fb.Model.addOperatorCodes(b, opcodesVec);
  fb.Model.addSubgraphs(b, subgraphsVec);
  fb.Model.addDescription(b, description);
  fb.Model.addBuffers(b, buffersVec);
  b.finish(fb.Model.endModel(b), "TFL3");
  return b.asUint8Array().slice();
}
