// SPDX-License-Identifier: MIT
#pragma once

/// \file fwd.hpp
/// Declarations of marcpp's public types, for headers that name them
/// without using them (a function that takes a `const marcpp::record&`),
/// so that they need not include the headers that define them. Names of
/// every component are declared; using one still needs its header.

#include <marcpp/config.hpp>

#include <cstdint>

MARCPP_NAMESPACE_BEGIN

// The record model (record.hpp, record_view.hpp, leader.hpp, tag.hpp)
class tag;
class leader;
class indicators;
class subfield;
class field;
class record;
class subfield_view;
class field_view;
class record_view;

// Diagnostics (error.hpp)
enum class errc : std::uint16_t;
enum class severity : std::uint8_t;
enum class error_policy : std::uint8_t;
struct diagnostic;
class error;

// Reading (read_options.hpp, reader.hpp, source.hpp)
struct read_options;
struct read_stats;
struct source_window;
class memory_source;
class mmap_source;
class stream_source;
class file_source;
template <class Source>
class reader;

// Writing and character sets (iso2709_writer.hpp, charset.hpp, mrk.hpp, format.hpp)
struct write_options;
enum class encoding : std::uint8_t;
struct charset_options;
struct mrk_options;
template <class Source>
class mrk_reader;
enum class format : std::uint8_t;
enum class compression : std::uint8_t;
struct writer_options;
class record_writer;

// The components' types (each needs its component to be used)
struct parallel_options;          // parallel_reader.hpp (parallel)
template <class Source>
class parallel_reader;            // parallel_reader.hpp (parallel)
struct marcxml_options;           // text_options.hpp
template <class Source>
class marcxml_reader;             // marcxml.hpp (marcxml)
struct json_options;              // text_options.hpp
template <class Source>
class json_reader;                // json.hpp (json)
class record_index;               // record_index.hpp (index)

MARCPP_NAMESPACE_END
