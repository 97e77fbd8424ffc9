// SPDX-License-Identifier: MIT
#pragma once

/// \file marcpp.hpp
/// Umbrella header: the core (record model, ISO 2709, .mrk, the line format,
/// MARC-8, format detection) and each component the program is built with,
/// as its `MARCPP_WITH_*` macro says. The CMake targets define the macros
/// (marcpp::marcpp all of them but `MARCPP_WITH_ICU`); without CMake, define
/// them and link the dependencies yourself (docs/components.md). A
/// component's own header, e.g. <marcpp/marcxml.hpp>, works without its
/// macro when included directly.

#include <marcpp/byte_range.hpp>
#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/detect.hpp>
#include <marcpp/error.hpp>
#include <marcpp/format.hpp>
#include <marcpp/fwd.hpp>
#include <marcpp/indicators.hpp>
#include <marcpp/input.hpp>
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/marc8.hpp>
#include <marcpp/mrk.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>
#include <marcpp/tag.hpp>

#if defined(MARCPP_WITH_COMPRESSION)
#  include <marcpp/compressed_source.hpp>
#endif
#if defined(MARCPP_WITH_MARCXML)
#  include <marcpp/marcxml.hpp>
#endif
#if defined(MARCPP_WITH_JSON)
#  include <marcpp/json.hpp>
#endif
#if defined(MARCPP_WITH_PARALLEL)
#  include <marcpp/parallel_reader.hpp>
#endif
#if defined(MARCPP_WITH_INDEX)
#  include <marcpp/record_index.hpp>
#endif
#if defined(MARCPP_WITH_ICU)
#  include <marcpp/normalize.hpp>
#endif
