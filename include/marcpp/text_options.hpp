// SPDX-License-Identifier: MIT
#pragma once

/// \file text_options.hpp
/// How MARCXML and MARC-in-JSON are written (`marcxml_options`,
/// `json_options`): plain options, in the core, so that `writer_options`
/// has the same members in every file of a program whatever components
/// each file is built with. The writers themselves are in marcxml.hpp and
/// json.hpp.

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>

MARCPP_NAMESPACE_BEGIN

/// How MARCXML is written.
struct marcxml_options {
  /// Refuse a record that cannot be written as it is (content the schema's
  /// patterns do not allow, `schema_pattern`; content XML cannot hold,
  /// `value_not_representable`), instead of writing a substitute with a
  /// warning.
  bool strict_schema = false;
  /// Write what the schema does not allow but XML can hold as it is, with a
  /// `schema_pattern` warning (an indicator `#`, a subfield code `@` or an
  /// empty one, a data field tagged 00X, a control field after a data
  /// field...), for readers that take such records as they are; what XML
  /// cannot hold still has its original in a `<?marcpp?>` instruction.
  /// false (the default): every record is valid against MARC21slim.xsd.
  bool as_is = false;
  /// One element per line, indented as yaz-marcdump does; false: one record
  /// per line, no indentation.
  bool indent = true;
  /// Write every record as `to_utf8(rec, converted, charset)` makes it, with
  /// leader/09 `a`: MARC-8 text decoded whatever leader/09 says, bytes that
  /// are not UTF-8 repaired (a clean UTF-8 record is written from its own
  /// bytes); false: convert nothing, refuse a record with leader/09 blank
  /// (`marc8_needs_conversion`) and one whose bytes are not UTF-8
  /// (`value_not_representable`).
  bool convert_marc8 = true;
  /// How records are converted: the error policy for MARC-8 faults and
  /// invalid UTF-8 (lenient repairs them, with a report in the writer's
  /// warnings; strict and skip refuse the record with the fault), where
  /// their encoding comes from, numeric character references,
  /// normalisation (of the records converted).
  charset_options charset{};
};

/// How MARC-in-JSON is written.
struct json_options {
  /// Write every record as `to_utf8(rec, converted, charset)` makes it (see
  /// `marcxml_options::convert_marc8`); false: convert nothing.
  bool convert_marc8 = true;
  /// How records are converted (see `marcxml_options::charset`).
  charset_options charset{};
};

MARCPP_NAMESPACE_END
