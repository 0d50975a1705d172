import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeOtlpProtobuf, readOtlpProtobuf } from '../src/otlp/decodeOtlpProtobuf.ts';
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

/** Attributes of every value type, a gauge with asDouble and a delta sum with asInt, odd timestamps. */
function encodeRich(): Uint8Array {
  const writer = protobuf.Writer.create();
  const point = (time: string, value: { double?: number; int?: number }, attributes: [string, string][] = []) => {
    writer.uint32(tag(1, 2)).fork();
    for (const [key, text] of attributes) keyValue(writer, 7, key, text);
    writer.uint32(tag(3, 1)).fixed64(time);
    if (value.double !== undefined) writer.uint32(tag(4, 1)).double(value.double);
    else writer.uint32(tag(6, 1)).sfixed64(value.int!);
    writer.ldelim();
  };
  writer.uint32(tag(1, 2)).fork(); // resource_metrics
  writer.uint32(tag(1, 2)).fork(); // resource
  keyValue(writer, 1, 'novacron.vm.id', 'a');
  writer.uint32(tag(1, 2)).fork().uint32(tag(1, 2)).string('host.cores').uint32(tag(2, 2)).fork().uint32(tag(3, 0)).int64(8).ldelim().ldelim();
  writer.uint32(tag(1, 2)).fork().uint32(tag(1, 2)).string('host.ok').uint32(tag(2, 2)).fork().uint32(tag(2, 0)).bool(true).ldelim().ldelim();
  writer.uint32(tag(1, 2)).fork().uint32(tag(1, 2)).string('host.load').uint32(tag(2, 2)).fork().uint32(tag(4, 1)).double(0.5).ldelim().ldelim();
  writer.ldelim();
  writer.uint32(tag(2, 2)).fork(); // scope_metrics
  writer.uint32(tag(2, 2)).fork().uint32(tag(1, 2)).string('system.cpu.utilization').uint32(tag(5, 2)).fork();
  point('1764460860123456789', { double: 0.25 }, [['cpu', 'cpu0'], ['state', 'user']]);
  point('4294967296', { double: 0 });
  writer.ldelim().ldelim();
  writer.uint32(tag(2, 2)).fork().uint32(tag(1, 2)).string('system.network.io').uint32(tag(7, 2)).fork();
  point('999999', { int: -3 }, [['direction', 'receive']]);
  point('18446744073709551615', { int: 42 }, [['direction', 'transmit']]);
  writer.uint32(tag(2, 0)).int32(1).ldelim().ldelim();
  writer.uint32(tag(2, 2)).fork().uint32(tag(1, 2)).string('system.memory.usage').ldelim(); // no data: skipped
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

  it('reads an export directly into what the JSON-shaped decode and the JSON parser give', () => {
    expect(readOtlpProtobuf(encodeRequest())).toEqual(parseOtlpJson(decodeOtlpProtobuf(encodeRequest())));
    const rich = encodeRich();
    expect(readOtlpProtobuf(rich)).toEqual(parseOtlpJson(decodeOtlpProtobuf(rich)));
    const [resource] = readOtlpProtobuf(rich);
    expect(resource!.resource).toEqual({ 'novacron.vm.id': 'a', 'host.cores': '8', 'host.ok': 'true', 'host.load': '0.5' });
    // Timestamps stay exact to the nanosecond, across the 2^32 boundary of the low word and near 2^64.
    expect(resource!.metrics.flatMap((metric) => metric.points.map((point) => point.timeUnixNano))).toEqual(['1764460860123456789', '4294967296', '999999', '18446744073709551615']);
  });

  it('refuses what the JSON parser refuses, naming the same field', () => {
    const missingTime = protobuf.Writer.create();
    missingTime.uint32(tag(1, 2)).fork().uint32(tag(2, 2)).fork().uint32(tag(2, 2)).fork().uint32(tag(1, 2)).string('system.cpu.utilization');
    missingTime.uint32(tag(5, 2)).fork().uint32(tag(1, 2)).fork().uint32(tag(4, 1)).double(0.5).ldelim().ldelim();
    missingTime.ldelim().ldelim().ldelim();
    const bytes = missingTime.finish();
    const field = 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano';
    expect(() => parseOtlpJson(decodeOtlpProtobuf(bytes))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ field }) }));
    expect(() => readOtlpProtobuf(bytes)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field }) }));
    expect(() => readOtlpProtobuf(new Uint8Array())).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'resourceMetrics' }) }));
  });

  it('refuses bytes that are not a protobuf message with BAD_USER_INPUT on the body', () => {
    expect(() => decodeOtlpProtobuf(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'body' }) }));
  });
});
