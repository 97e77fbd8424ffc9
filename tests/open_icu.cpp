// marcpp::open with to_utf8 and NFC, in the program that links ICU.
#include "test_support.hpp"

#include <marcpp/normalize.hpp>
#include <marcpp/open.hpp>

TEST_CASE("open: to_utf8 with NFC gives the precomposed titles") {
  if (!test::have_corpus()) return;
  const auto file = (test::corpus_dir() / "large" / "solrmarc-uva_001_2000.mrc").string();
  auto title = [](const auto& rec) { return std::string(rec.value("245", 'a').value_or("")); };
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    marcpp::open_options decoded, composed;
    decoded.to_utf8 = composed.to_utf8 = true;
    decoded.threads = composed.threads = threads;
    composed.normalize = marcpp::unicode_form::nfc;
    auto a = marcpp::open(file, decoded);
    auto b = marcpp::open(file, composed);
    marcpp::record ra, rb;
    std::size_t records = 0, differ = 0;
    while (a.next(ra)) {
      REQUIRE(b.next(rb));
      ++records;
      // NFC of the decoded text, record by record, is what the input gives.
      std::string want;
      REQUIRE(marcpp::nfc.apply(title(ra), want));
      CHECK(title(rb) == want);
      differ += title(ra) != title(rb);
    }
    CHECK_FALSE(b.next(rb));
    CHECK(records == 2000);
    // Titles with combining marks: decomposed as decoded, composed with NFC.
    CHECK(differ > 100);
    MESSAGE(differ << " of " << records << " titles differ between the decoded text and NFC");
  }
}
