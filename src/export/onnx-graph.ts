/**
 * @file A small builder for ONNX graphs on top of `onnx-proto` (the
 * protobufjs-generated ONNX definitions, so the wire format comes from the
 * maintained `.proto` file, not from a hand-written encoder). It names values
 * uniquely, stores initialisers as little-endian raw data and encodes the
 * ModelProto.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** An ONNX attribute value: a number is INT (wrap it in `float()` for FLOAT), arrays are INTS, strings STRING. */
export type AttributeValue = number | string | readonly number[] | { readonly float: number };

/** Marks a number as a FLOAT attribute (`epsilon: float(1e-5)`). */
export function float(value: number): { readonly float: number } {
  return { float: value };
}

/** One dimension of a graph input/output: a fixed size or a symbolic name (`height`). */
export type Dimension = number | string;

/** Builds one ONNX graph: nodes in topological order, initialisers, inputs and outputs (all float32). */
export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly used = new Set<string>();

  /** A fresh value name starting with `base`. */
  name(base: string): string {
    let candidate = base;
    for (let k = 1; this.used.has(candidate); k++) candidate = `${base}_${k}`;
    this.used.add(candidate);
    return candidate;
  }

  /** Declares a float32 graph input. */
  input(name: string, dims: readonly Dimension[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares `value` a float32 graph output. */
  output(value: string, dims: readonly Dimension[]): void {
    this.outputs.push(valueInfo(value, dims));
  }

  /** A float32 initialiser (weights or scalars), returns its value name. */
  floats(base: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const array = data instanceof Float32Array ? data : Float32Array.from(data);
    return this.initializer(base, onnx.TensorProto.DataType.FLOAT, new Uint8Array(array.buffer, array.byteOffset, array.byteLength), dims);
  }

  /** An int64 initialiser (shapes, pads, axes), returns its value name. */
  int64s(base: string, data: readonly number[], dims: readonly number[] = [data.length]): string {
    const array = BigInt64Array.from(data, (v) => BigInt(v));
    return this.initializer(base, onnx.TensorProto.DataType.INT64, new Uint8Array(array.buffer), dims);
  }

  /**
   * Appends a node and returns the name of its (first) output.
   * @param inputs value names; '' for an omitted optional input
   */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, base = opType.toLowerCase()): string {
    const output = this.name(base);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        name: output,
        input: [...inputs],
        output: [output],
        attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
      }),
    );
    return output;
  }

  /**
   * Encodes the graph as an ONNX model.
   * @param opset the default-domain opset version
   * @param metadata extra `metadata_props` (strings)
   */
  encode(graphName: string, opset: number, metadata: Readonly<Record<string, string>> = {}, docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      // IR version 8 is what onnx-proto 8 (ONNX 1.10) defines; runtimes read any newer opset with it.
      irVersion: onnx.Version.IR_VERSION,
      producerName: 'perceptual',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: opset })],
      docString,
      metadataProps: Object.entries(metadata).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
      graph: onnx.GraphProto.create({
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private initializer(base: string, dataType: number, rawData: Uint8Array, dims: readonly number[]): string {
    const name = this.name(base);
    // Copy: rawData must not alias a buffer the caller may reuse.
    this.initializers.push(onnx.TensorProto.create({ name, dataType, dims: [...dims], rawData: Uint8Array.from(rawData) }));
    return name;
  }
}

function valueInfo(name: string, dims: readonly Dimension[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: [...(value as number[])] });
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: (value as { float: number }).float });
}
