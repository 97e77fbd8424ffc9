#include <marcpp/error.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <set>
#include <string>

using marcpp::errc;

TEST_CASE("errc") {
  SUBCASE("codes are fixed numbers (docs/errors.md), never renumbered") {
    CHECK(static_cast<int>(errc::truncated_record) == 101);
    CHECK(static_cast<int>(errc::bad_record_length) == 102);
    CHECK(static_cast<int>(errc::record_length_mismatch) == 103);
    CHECK(static_cast<int>(errc::missing_record_terminator) == 104);
    CHECK(static_cast<int>(errc::bytes_between_records) == 105);
    CHECK(static_cast<int>(errc::record_too_large) == 106);
    CHECK(static_cast<int>(errc::record_too_short) == 107);
    CHECK(static_cast<int>(errc::bad_base_address) == 201);
    CHECK(static_cast<int>(errc::bad_indicator_count) == 202);
    CHECK(static_cast<int>(errc::bad_subfield_code_length) == 203);
    CHECK(static_cast<int>(errc::bad_entry_map) == 204);
    CHECK(static_cast<int>(errc::unsupported_entry_map) == 205);
    CHECK(static_cast<int>(errc::bad_directory) == 301);
    CHECK(static_cast<int>(errc::bad_directory_entry) == 302);
    CHECK(static_cast<int>(errc::field_out_of_bounds) == 303);
    CHECK(static_cast<int>(errc::field_length_mismatch) == 304);
    CHECK(static_cast<int>(errc::missing_field_terminator) == 305);
    CHECK(static_cast<int>(errc::invalid_tag) == 306);
    CHECK(static_cast<int>(errc::unreferenced_data) == 307);
    CHECK(static_cast<int>(errc::overlapping_fields) == 308);
    CHECK(static_cast<int>(errc::missing_indicators) == 401);
    CHECK(static_cast<int>(errc::data_before_first_subfield) == 402);
    CHECK(static_cast<int>(errc::missing_subfield_code) == 403);
    CHECK(static_cast<int>(errc::unexpected_terminator) == 404);
    CHECK(static_cast<int>(errc::indicator_count_unsupported) == 405);
    CHECK(static_cast<int>(errc::subfield_code_length_unsupported) == 406);
    CHECK(static_cast<int>(errc::invalid_utf8) == 501);
    CHECK(static_cast<int>(errc::record_too_long) == 601);
    CHECK(static_cast<int>(errc::field_too_long) == 602);
    CHECK(static_cast<int>(errc::invalid_data_byte) == 603);
    CHECK(static_cast<int>(errc::invalid_subfield_layout) == 604);
    CHECK(static_cast<int>(errc::xml_not_well_formed) == 701);
    CHECK(static_cast<int>(errc::xml_not_marcxml) == 702);
    CHECK(static_cast<int>(errc::json_syntax) == 703);
    CHECK(static_cast<int>(errc::json_not_marc) == 704);
    CHECK(static_cast<int>(errc::mrk_syntax) == 705);
    CHECK(static_cast<int>(errc::value_not_representable) == 706);
    CHECK(static_cast<int>(errc::schema_pattern) == 707);
    CHECK(static_cast<int>(errc::marc8_needs_conversion) == 708);
    CHECK(static_cast<int>(errc::control_character_mapped) == 709);
    CHECK(static_cast<int>(errc::unknown_format) == 710);
    CHECK(static_cast<int>(errc::bad_leader_length) == 711);
    CHECK(static_cast<int>(errc::coding_scheme_set) == 712);
    CHECK(static_cast<int>(errc::io_error) == 801);
    CHECK(static_cast<int>(errc::too_many_errors) == 802);
    CHECK(static_cast<int>(errc::index_stale) == 803);
    CHECK(static_cast<int>(errc::index_corrupt) == 804);
    CHECK(static_cast<int>(errc::component_missing) == 805);
    CHECK(static_cast<int>(errc::unmapped_marc8) == 901);
    CHECK(static_cast<int>(errc::bad_escape_sequence) == 902);
    CHECK(static_cast<int>(errc::encoding_mismatch) == 903);
    CHECK(static_cast<int>(errc::unrepresentable_character) == 904);
    CHECK(static_cast<int>(errc::dangling_combining_mark) == 905);
  }

  SUBCASE("every code has its own stable name") {
    std::set<std::string_view> names;
    for (int c = 0; c < 1000; ++c) {
      auto name = marcpp::to_string(static_cast<errc>(c));
      if (name != "unknown") CHECK(names.insert(name).second);
    }
    CHECK(names.size() == 54);  // ok + 53 kinds
    CHECK(marcpp::to_string(errc::missing_field_terminator) == "missing_field_terminator");
  }
}

TEST_CASE("diagnostic") {
  marcpp::diagnostic d;
  CHECK_FALSE(d);
  d.code = errc::missing_field_terminator;
  d.level = marcpp::severity::repair;
  d.record_index = 3;
  d.record_offset = 2048;
  d.offset = 2301;
  d.tag = marcpp::tag("245");
  d.field_index = 4;
  d.control_number = "ocm123";
  d.message = "the field has no field terminator";
  CHECK(d);
  CHECK(marcpp::to_string(d) ==
        "record 3 (001 ocm123, offset 2048): field 245 at offset 2301: the field has no field terminator "
        "[E305 missing_field_terminator, repair]");

  SUBCASE("a tag that could not be held shows its original bytes") {
    d.tag = marcpp::tag::invalid();
    d.original = "a5\x01";
    CHECK(marcpp::to_string(d).find("field with tag bytes \"a5\\x01\" at offset 2301") != std::string::npos);
  }
  SUBCASE("a text input gives the line and column") {
    d.line = 12;
    d.column = 7;
    CHECK(marcpp::to_string(d) ==
          "record 3 (001 ocm123, offset 2048): field 245 at offset 2301, line 12, column 7: the field has no field "
          "terminator [E305 missing_field_terminator, repair]");
    marcpp::diagnostic e;
    e.code = errc::xml_not_well_formed;
    e.line = 3;
    e.column = 1;
    e.message = "not XML";
    CHECK(marcpp::to_string(e) == "line 3, column 1: not XML [E701 xml_not_well_formed, error]");
  }
  SUBCASE("no record, no field") {
    marcpp::diagnostic e;
    e.code = errc::io_error;
    e.message = "cannot read";
    CHECK(marcpp::to_string(e) == "cannot read [E801 io_error, error]");
  }
  SUBCASE("the exception carries the diagnostic") {
    marcpp::error ex(d);
    CHECK(ex.code() == errc::missing_field_terminator);
    CHECK(ex.diagnostic().record_index == 3);
    CHECK(std::string(ex.what()) == marcpp::to_string(d));
    CHECK_THROWS_AS(marcpp::throw_error(d), marcpp::error);
  }
  CHECK(marcpp::to_string(marcpp::error_policy::skip) == "skip");
  CHECK(marcpp::to_string(marcpp::severity::warning) == "warning");
}
