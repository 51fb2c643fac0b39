//! JSON as Mesos writes it: proto field names in snake_case, enums by name, bytes as base64.
