// SPDX-License-Identifier: MIT
#pragma once

/// \file marcpp.hpp
/// Umbrella header: every public marcpp header but <marcpp/normalize.hpp>,
/// which needs ICU (link marcpp::icu and include it where you normalise).

#include <marcpp/byte_range.hpp>
#include <marcpp/charset.hpp>
#include <marcpp/compressed_source.hpp>
#include <marcpp/config.hpp>
#include <marcpp/error.hpp>
#include <marcpp/format.hpp>
#include <marcpp/indicators.hpp>
#include <marcpp/input.hpp>
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/json.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/marc8.hpp>
#include <marcpp/marcxml.hpp>
#include <marcpp/mrk.hpp>
#include <marcpp/open.hpp>
#include <marcpp/parallel_reader.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_index.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>
#include <marcpp/tag.hpp>
