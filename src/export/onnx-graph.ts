/**
 * @file A small builder for ONNX graphs, encoded by protobufjs (light build)
 * with the message definitions of ONNX's official onnx.proto (onnx-schema.ts,
 * generated from it), so the wire format is protobufjs's, not hand-written.
 * It names values uniquely, stores initialisers as little-endian raw data and
 * encodes the ModelProto.
 */
import protobuf from 'protobufjs/light.js';
import { optionRangeError } from '../errors.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType('onnx.ModelProto');
const DataType = root.lookupEnum('onnx.TensorProto.DataType').values as Readonly<Record<'FLOAT' | 'INT64', number>>;

/** The messages as plain objects (protobufjs field names: the .proto's in camelCase). */
interface AttributeMessage {
  readonly name: string;
  readonly type: 'FLOAT' | 'INT' | 'STRING' | 'INTS';
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly ints?: number[];
}
interface NodeMessage {
  readonly opType: string;
  readonly name: string;
  readonly input: string[];
  readonly output: string[];
  readonly attribute: AttributeMessage[];
}
interface TensorMessage {
  readonly name: string;
  readonly dataType: number;
  readonly dims: number[];
  readonly rawData: Uint8Array;
}
interface ValueInfoMessage {
  readonly name: string;
  readonly type: { readonly tensorType: { readonly elemType: number; readonly shape: { readonly dim: Array<{ dimValue: number } | { dimParam: string }> } } };
}

/**
 * The IR version of the ONNX release that introduced each default-domain
 * opset (onnx/docs/Versioning.md, "Released Versions"): the oldest IR a
 * runtime must read to load the model.
 */
const IR_VERSION_OF_OPSET: Readonly<Record<number, number>> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

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
  private readonly nodes: NodeMessage[] = [];
  private readonly initializers: TensorMessage[] = [];
  private readonly inputs: ValueInfoMessage[] = [];
  private readonly outputs: ValueInfoMessage[] = [];
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
    return this.initializer(base, DataType.FLOAT, new Uint8Array(array.buffer, array.byteOffset, array.byteLength), dims);
  }

  /** An int64 initialiser (shapes, pads, axes), returns its value name. */
  int64s(base: string, data: readonly number[], dims: readonly number[] = [data.length]): string {
    const array = BigInt64Array.from(data, (v) => BigInt(v));
    return this.initializer(base, DataType.INT64, new Uint8Array(array.buffer), dims);
  }

  /**
   * Appends a node and returns the name of its (first) output.
   * @param inputs value names; '' for an omitted optional input
   */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, base = opType.toLowerCase()): string {
    const output = this.name(base);
    this.nodes.push({
      opType,
      name: output,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  /**
   * Encodes the graph as an ONNX model.
   * @param opset the default-domain opset version
   * @param metadata extra `metadata_props` (strings)
   */
  encode(graphName: string, opset: number, metadata: Readonly<Record<string, string>> = {}, docString = ''): Uint8Array {
    const irVersion = IR_VERSION_OF_OPSET[opset];
    if (irVersion === undefined) throw optionRangeError('opset', `one of ${Object.keys(IR_VERSION_OF_OPSET).join(', ')}`, opset);
    const model = ModelProto.fromObject({
      irVersion,
      producerName: 'perceptual',
      opsetImport: [{ domain: '', version: opset }],
      // proto2 fields have presence: an empty string that is set is still written.
      ...(docString === '' ? {} : { docString }),
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return ModelProto.encode(model).finish();
  }

  private initializer(base: string, dataType: number, rawData: Uint8Array, dims: readonly number[]): string {
    const name = this.name(base);
    // Copy: rawData must not alias a buffer the caller may reuse.
    this.initializers.push({ name, dataType, dims: [...dims], rawData: Uint8Array.from(rawData) });
    return name;
  }
}

function valueInfo(name: string, dims: readonly Dimension[]): ValueInfoMessage {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim } } } };
}

function attribute(name: string, value: AttributeValue): AttributeMessage {
  if (typeof value === 'string') return { name, type: 'STRING', s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: 'INT', i: value };
  if (Array.isArray(value)) return { name, type: 'INTS', ints: [...(value as number[])] };
  return { name, type: 'FLOAT', f: (value as { float: number }).float };
}
