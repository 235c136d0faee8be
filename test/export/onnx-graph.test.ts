/**
 * @file The ONNX graph builder's bytes, checked against ModelProtos written
 * out by hand from the protobuf wire format (tag = field id << 3 | wire type;
 * 0 varint, 2 length-delimited, 5 fixed32) and the field ids of onnx.proto.
 * Fields come in id order, proto2 repeated scalars unpacked (one tag each),
 * negative int64 as 10-byte varints. The first model also runs in
 * onnxruntime-web.
 */
import * as ort from 'onnxruntime-web';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { float, OnnxGraphBuilder } from '../../src/export/onnx-graph.js';

ort.env.wasm.numThreads = 1;

/** Bytes from hex pairs; spaces, line breaks and `// comments` are ignored. */
function hex(text: string): Uint8Array {
  const digits = text.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
  return Uint8Array.from(digits.match(/../g)!, (pair) => parseInt(pair, 16));
}

const PERCEPTUAL = '70 65 72 63 65 70 74 75 61 6c'; // "perceptual", 10 bytes

test('y = x * 1.5: every byte of the ModelProto, and onnxruntime-web runs it', async () => {
  const g = new OnnxGraphBuilder();
  const x = g.input('x', ['n', 2]);
  const w = g.floats('w', [1.5], [1]);
  g.output(g.node('Mul', [x, w], {}, 'y'), ['n', 2]);
  const bytes = g.encode('g', 17, { k: 'v' }, 'd');
  const expected = hex(`
    08 08                         // 1 ir_version: 8 (opset 17 shipped with IR 8)
    12 0a ${PERCEPTUAL}           // 2 producer_name
    32 01 64                      // 6 doc_string "d"
    3a 51                         // 7 graph, 81 bytes:
      0a 11                       //   1 node, 17 bytes:
        0a 01 78  0a 01 77        //     1 input "x", "w"
        12 01 79                  //     2 output "y"
        1a 01 79                  //     3 name "y"
        22 03 4d 75 6c            //     4 op_type "Mul"
      12 01 67                    //   2 name "g"
      2a 0d                       //   5 initializer, 13 bytes:
        08 01                     //     1 dims [1]
        10 01                     //     2 data_type FLOAT
        42 01 77                  //     8 name "w"
        4a 04 00 00 c0 3f         //     9 raw_data: 1.5f little-endian
      5a 14                       //   11 input, 20 bytes:
        0a 01 78                  //     1 name "x"
        12 0f 0a 0d               //     2 type { 1 tensor_type {
          08 01                   //       1 elem_type FLOAT
          12 09                   //       2 shape {
            0a 03 12 01 6e        //         1 dim { 2 dim_param "n" }
            0a 02 08 02           //         1 dim { 1 dim_value 2 } } } }
      62 14                       //   12 output, 20 bytes:
        0a 01 79  12 0f 0a 0d 08 01 12 09 0a 03 12 01 6e 0a 02 08 02
    42 04 0a 00 10 11             // 8 opset_import { 1 domain "", 2 version 17 }
    72 06 0a 01 6b 12 01 76       // 14 metadata_props { 1 key "k", 2 value "v" }
  `);
  assert.is(expected.length, 114);
  assert.equal([...bytes], [...expected]);

  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, -2, 0.5, 4]), [2, 2]) });
    assert.equal(out.y!.dims, [2, 2]);
    assert.equal([...(out.y!.data as Float32Array)], [1.5, -3, 0.75, 6]);
  } finally {
    await session.release();
  }
});

test('attributes of every kind, an int64 initialiser, no doc string: every byte', () => {
  const g = new OnnxGraphBuilder();
  const p = g.int64s('p', [-1]);
  g.output(g.node('Op', [p], { i: 3, is: [1, -1], f: float(0.5), s: 'ab' }, 'o'), [1]);
  const bytes = g.encode('h', 13);
  const expected = hex(`
    08 07                         // 1 ir_version: 7 (opset 13 shipped with IR 7)
    12 0a ${PERCEPTUAL}           // 2 producer_name; no 6 doc_string
    3a 6f                         // 7 graph, 111 bytes:
      0a 46                       //   1 node, 70 bytes:
        0a 01 70  12 01 6f  1a 01 6f  22 02 4f 70   // input "p", output "o", name "o", op_type "Op"
        2a 08                     //     5 attribute, 8 bytes:
          0a 01 69  18 03         //       1 name "i", 3 i 3
          a0 01 02                //       20 type INT (tag 160: a two-byte varint)
        2a 14                     //     5 attribute, 20 bytes:
          0a 02 69 73             //       1 name "is"
          40 01                   //       8 ints 1
          40 ff ff ff ff ff ff ff ff ff 01  // 8 ints -1 (two's complement, 64 bits)
          a0 01 07                //       20 type INTS
        2a 0b                     //     5 attribute, 11 bytes:
          0a 01 66                //       1 name "f"
          15 00 00 00 3f          //       2 f 0.5f (fixed32)
          a0 01 01                //       20 type FLOAT
        2a 0a                     //     5 attribute, 10 bytes:
          0a 01 73                //       1 name "s"
          22 02 61 62             //       4 s "ab"
          a0 01 03                //       20 type STRING
      12 01 68                    //   2 name "h"
      2a 11                       //   5 initializer, 17 bytes:
        08 01  10 07  42 01 70    //     dims [1], data_type INT64, name "p"
        4a 08 ff ff ff ff ff ff ff ff  // 9 raw_data: int64 -1 little-endian
      62 0f                       //   12 output, 15 bytes:
        0a 01 6f                  //     name "o"
        12 0a 0a 08 08 01 12 04 0a 02 08 01  // type: float tensor of shape [1]
    42 04 0a 00 10 0d             // 8 opset_import { domain "", version 13 }
  `);
  assert.is(expected.length, 133);
  assert.equal([...bytes], [...expected]);
});

test('encode refuses an opset it knows no IR version for', () => {
  const g = new OnnxGraphBuilder();
  g.output(g.input('x', [1]), [1]);
  assert.throws(() => g.encode('g', 12), /opset must be one of 13, 14, 15, 16, 17, 18, 19, 20, 21 \(received 12\)/);
});

test.run();
