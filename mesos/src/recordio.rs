//! RecordIO, the framing of the SUBSCRIBE stream: an ASCII decimal length, `\n`, that many bytes.
