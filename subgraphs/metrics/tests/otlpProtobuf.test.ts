import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeOtlpProtobuf } from '../src/otlp/decodeOtlpProtobuf.ts';
import { parseOtlpJson } from '../src/otlp/parseOtlpJson.ts';

// Written field by field with the upstream opentelemetry-proto field numbers, independently of the
// decoder's schema text: wire type 2 = length-delimited, 1 = 64-bit, 0 = varint.
const tag = (field: number, wire: number) => (field << 3) | wire;

function keyValue(writer: protobuf.Writer, field: number, key: string, value: string): void {
  writer.uint32(tag(field, 2)).fork().uint32(tag(1, 2)).string(key).uint32(tag(2, 2)).fork().uint32(tag(1, 2)).string(value).ldelim().ldelim();
}

function encodeRequest(): Uint8Array {
  const writer = protobuf.Writer.create();
  writer.uint32(tag(1, 2)).fork(); // resource_metrics
  writer.uint32(tag(1, 2)).fork(); // resource
  keyValue(writer, 1, 'host.id', 'i-0abc');
  writer.ldelim();
  writer.uint32(tag(2, 2)).fork(); // scope_metrics
  writer.uint32(tag(2, 2)).fork(); // metric
  writer.uint32(tag(1, 2)).string('system.disk.io');
  writer.uint32(tag(7, 2)).fork(); // sum
  writer.uint32(tag(1, 2)).fork(); // data point
  keyValue(writer, 7, 'direction', 'read');
  writer.uint32(tag(2, 1)).fixed64('1764460800000000000');
  writer.uint32(tag(3, 1)).fixed64('1764460860000000000');
  writer.uint32(tag(6, 1)).sfixed64(123456);
  writer.ldelim();
  writer.uint32(tag(2, 0)).int32(2); // CUMULATIVE
  writer.uint32(tag(3, 0)).bool(true);
  writer.ldelim(); // sum
  writer.ldelim(); // metric
  writer.ldelim(); // scope_metrics
  writer.ldelim(); // resource_metrics
  return writer.finish();
}

describe('OTLP protobuf decoding', () => {
  it('decodes an ExportMetricsServiceRequest into the JSON shape the parser checks', () => {
    const parsed = parseOtlpJson(decodeOtlpProtobuf(encodeRequest()));
    expect(parsed).toEqual([
      {
        resource: { 'host.id': 'i-0abc' },
        metrics: [
          {
            name: 'system.disk.io',
            type: 'sum',
            temporality: 'CUMULATIVE',
            points: [{ attributes: { direction: 'read' }, startTimeUnixNano: '1764460800000000000', timeUnixNano: '1764460860000000000', value: 123456 }],
          },
        ],
      },
    ]);
  });

  it('refuses bytes that are not a protobuf message with BAD_USER_INPUT on the body', () => {
    expect(() => decodeOtlpProtobuf(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'body' }) }));
  });
});
