/**
 * Decodes an OTLP/HTTP protobuf `ExportMetricsServiceRequest` with protobufjs into the same shape
 * as the JSON encoding (lowerCamelCase, 64-bit integers as strings, enums as numbers), so one parser
 * (`parseOtlpJson`) checks both. The schema below is the subset of opentelemetry-proto v1
 * (collector/metrics/v1, metrics/v1, common/v1, resource/v1) the mapping reads, with the upstream
 * field numbers; fields it omits (histograms, exemplars, …) are skipped by the decoder.
 */
import protobuf from 'protobufjs';
import { badInput } from '@novacron/errors';

const schema = `
syntax = "proto3";
package otlp;
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
message Metric {
  string name = 1; string description = 2; string unit = 3;
  oneof data { Gauge gauge = 5; Sum sum = 7; }
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  uint32 flags = 8;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
`;

const requestType = protobuf.parse(schema, { keepCase: false }).root.lookupType('otlp.ExportMetricsServiceRequest');

/** The decoded request as OTLP/JSON would have carried it. */
export function decodeOtlpProtobuf(body: Uint8Array): unknown {
  let message: protobuf.Message;
  try {
    message = requestType.decode(body);
  } catch (error) {
    throw badInput('body', `the body is not a valid OTLP protobuf ExportMetricsServiceRequest: ${error instanceof Error ? error.message : String(error)}`);
  }
  return requestType.toObject(message, { longs: String, enums: Number, defaults: false, oneofs: false });
}
