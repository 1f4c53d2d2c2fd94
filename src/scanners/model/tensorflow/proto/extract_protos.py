#!/usr/bin/env python3
"""Writes the TensorFlow .proto files that mlsec decodes SavedModels with, from the descriptors compiled into an
installed TensorFlow: the import closure of `tensorflow/core/protobuf/saved_model.proto` and of
`tensorflow/python/keras/protobuf/saved_metadata.proto` (the `keras_metadata.pb` schema).

Run:  <python with tensorflow-cpu==2.21.0> src/scanners/model/tensorflow/proto/extract_protos.py
then: node src/scanners/model/tensorflow/proto/generate-descriptor.mjs

The text is printed from TensorFlow's own FileDescriptorProtos (the `*_pb2` modules of the wheel), so names,
field numbers, types, labels, oneofs, maps, enums, reserved ranges and options are exactly those of that release;
comments and layout of the upstream files are not carried by descriptors and are not reproduced. google/protobuf
files are not written: protobufjs ships them.
"""
import os
import sys

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FieldDescriptor
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.keras.protobuf import saved_metadata_pb2

HERE = os.path.dirname(os.path.abspath(__file__))

SCALARS = {
    FieldDescriptor.TYPE_DOUBLE: "double",
    FieldDescriptor.TYPE_FLOAT: "float",
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_FIXED64: "fixed64",
    FieldDescriptor.TYPE_FIXED32: "fixed32",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "bytes",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_SFIXED32: "sfixed32",
    FieldDescriptor.TYPE_SFIXED64: "sfixed64",
    FieldDescriptor.TYPE_SINT32: "sint32",
    FieldDescriptor.TYPE_SINT64: "sint64",
}


def closure(file_descriptor, found):
    for dependency in file_descriptor.dependencies:
        closure(dependency, found)
    if file_descriptor.name not in found:
        found[file_descriptor.name] = file_descriptor
    return found


def type_name(field, package):
    if field.type in SCALARS:
        return SCALARS[field.type]
    name = field.type_name.lstrip(".")
    return name[len(package) + 1 :] if name.startswith(package + ".") else name


def field_options(field):
    options = []
    if field.HasField("default_value"):
        quoted = field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)
        options.append(f'default = "{field.default_value}"' if quoted else f"default = {field.default_value}")
    if field.options.HasField("packed"):
        options.append(f"packed = {'true' if field.options.packed else 'false'}")
    if field.options.deprecated:
        options.append("deprecated = true")
    if field.HasField("json_name") and field.json_name != default_json_name(field.name):
        options.append(f'json_name = "{field.json_name}"')
    return f" [{', '.join(options)}]" if options else ""


def default_json_name(name):
    parts = name.split("_")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


def print_enum(enum, indent, out):
    out.append(f"{indent}enum {enum.name} {{")
    if enum.options.allow_alias:
        out.append(f"{indent}  option allow_alias = true;")
    for value in enum.value:
        deprecated = " [deprecated = true]" if value.options.deprecated else ""
        out.append(f"{indent}  {value.name} = {value.number}{deprecated};")
    print_reserved(enum, indent + "  ", out, enum_ranges=True)
    out.append(f"{indent}}}")


def print_reserved(message, indent, out, enum_ranges=False):
    for span in message.reserved_range:
        end = span.end if enum_ranges else span.end - 1
        out.append(f"{indent}reserved {span.start};" if end == span.start else f"{indent}reserved {span.start} to {end};")
    for name in message.reserved_name:
        out.append(f'{indent}reserved "{name}";')


def label_of(field, proto2):
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return "repeated "
    if field.label == FieldDescriptor.LABEL_REQUIRED:
        return "required "
    return "optional " if proto2 or field.proto3_optional else ""


def print_message(message, indent, package, out, proto2):
    out.append(f"{indent}message {message.name} {{")
    inner = indent + "  "
    if message.options.deprecated:
        out.append(f"{inner}option deprecated = true;")
    maps = {nested.name: nested for nested in message.nested_type if nested.options.map_entry}
    for nested in message.nested_type:
        if not nested.options.map_entry:
            print_message(nested, inner, package, out, proto2)
    for enum in message.enum_type:
        print_enum(enum, inner, out)
    real_oneofs = {}
    for field in message.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            real_oneofs.setdefault(field.oneof_index, []).append(field)
    printed_oneofs = set()
    for field in message.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            if field.oneof_index in printed_oneofs:
                continue
            printed_oneofs.add(field.oneof_index)
            out.append(f"{inner}oneof {message.oneof_decl[field.oneof_index].name} {{")
            for member in real_oneofs[field.oneof_index]:
                out.append(f"{inner}  {type_name(member, package)} {member.name} = {member.number}{field_options(member)};")
            out.append(f"{inner}}}")
            continue
        entry_name = field.type_name.rsplit(".", 1)[-1]
        if field.label == FieldDescriptor.LABEL_REPEATED and entry_name in maps and field.type == FieldDescriptor.TYPE_MESSAGE:
            key, value = maps[entry_name].field
            out.append(
                f"{inner}map<{type_name(key, package)}, {type_name(value, package)}> {field.name} = {field.number}{field_options(field)};"
            )
            continue
        out.append(f"{inner}{label_of(field, proto2)}{type_name(field, package)} {field.name} = {field.number}{field_options(field)};")
    print_reserved(message, inner, out)
    out.append(f"{indent}}}")


def print_file(proto):
    proto2 = proto.syntax in ("", "proto2")
    out = [
        f"// {proto.name} as compiled into tensorflow {tf.__version__} (git {tf.version.GIT_VERSION}).",
        "// Printed from TensorFlow's descriptor by extract_protos.py; see README.md. Licence: LICENSE (Apache-2.0).",
        "",
        'syntax = "proto2";' if proto2 else 'syntax = "proto3";',
        "",
        f"package {proto.package};",
        "",
    ]
    for dependency in proto.dependency:
        out.append(f'import "{dependency}";')
    if proto.dependency:
        out.append("")
    for enum in proto.enum_type:
        print_enum(enum, "", out)
        out.append("")
    for message in proto.message_type:
        print_message(message, "", proto.package, out, proto2)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def main():
    files = closure(saved_model_pb2.DESCRIPTOR, {})
    closure(saved_metadata_pb2.DESCRIPTOR, files)
    for name, file_descriptor in files.items():
        if name.startswith("google/protobuf/"):
            continue
        proto = descriptor_pb2.FileDescriptorProto()
        file_descriptor.CopyToProto(proto)
        path = os.path.join(HERE, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(print_file(proto))
        print(name, file=sys.stderr)


if __name__ == "__main__":
    main()
