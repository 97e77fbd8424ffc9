// SPDX-License-Identifier: MIT
#pragma once

// The XML parser adapter: the only header that includes expat. It offers a
// namespace-aware, suspendable push parser whose events call members of a
// handler object; no expat type appears outside this file.
//
// Element names arrive as "URI\nlocal" (or "local" outside any namespace).
// Attributes arrive as expat gives them: a null-terminated array of
// name/value pairs.

#include <marcpp/config.hpp>

#include <expat.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// Separates the namespace URI from the local name in element names.
inline constexpr char xml_namespace_separator = '\n';

/// A push parser over expat. `Handler` provides:
///   void xml_start(std::string_view name, const char** attributes);
///   void xml_end(std::string_view name);
///   void xml_text(const char* data, std::size_t size);
///   void xml_namespace_start(const char* prefix, const char* uri);  // prefix null: default
///   void xml_namespace_end(const char* prefix);
///   void xml_declaration(const char* encoding);                     // may be null
///   void xml_pi(const char* target, const char* data);              // a processing instruction
template <class Handler>
class xml_parser {
 public:
  enum class status : std::uint8_t { ok, suspended, error };
  static constexpr std::size_t max_chunk = std::size_t{1} << 24;

  explicit xml_parser(Handler& h) : h_(&h) { create(nullptr); }
  ~xml_parser() {
    if (p_) XML_ParserFree(p_);
  }
  xml_parser(const xml_parser&) = delete;
  xml_parser& operator=(const xml_parser&) = delete;

  /// True if the parser could be created (out of memory otherwise).
  [[nodiscard]] bool valid() const noexcept { return p_ != nullptr; }

  /// Starts a new document; `encoding` overrides what the document declares
  /// (null: as declared, UTF-8 by default).
  void reset(const char* encoding) {
    if (!p_ || XML_ParserReset(p_, encoding) != XML_TRUE) {
      if (p_) XML_ParserFree(p_);
      create(encoding);
      return;
    }
    install();
  }

  /// Parses `n` more bytes (at most `max_chunk`; copied into the parser's
  /// own buffer, so they may be released as soon as this returns). `last`:
  /// the document ends here.
  status feed(const char* data, std::size_t n, bool last) {
    if (!p_ || n > max_chunk) return status::error;
    return feed_one(data, n, last);
  }
  /// Continues after a suspension.
  status resume() { return convert(XML_ResumeParser(p_)); }
  /// From inside a handler: stop after the current event, resumable.
  void suspend() { XML_StopParser(p_, XML_TRUE); }

  /// Offset, in the bytes fed since the last reset, of the current event
  /// (or of the error).
  [[nodiscard]] std::uint64_t event_offset() const noexcept {
    auto i = XML_GetCurrentByteIndex(p_);
    return i < 0 ? 0 : static_cast<std::uint64_t>(i);
  }
  /// Length in bytes of the markup of the current event.
  [[nodiscard]] std::size_t event_size() const noexcept {
    int c = XML_GetCurrentByteCount(p_);
    return c < 0 ? 0 : static_cast<std::size_t>(c);
  }
  /// What went wrong, in expat's words.
  [[nodiscard]] std::string error_message() const {
    const XML_LChar* s = p_ ? XML_ErrorString(XML_GetErrorCode(p_)) : "the XML parser could not be created";
    return s ? std::string(s) : std::string("unknown XML error");
  }
  /// True if the error is an end tag that closes an element never opened
  /// here (in a resumed parse: an ancestor of the records).
  [[nodiscard]] bool error_is_tag_mismatch() const noexcept {
    return p_ && XML_GetErrorCode(p_) == XML_ERROR_TAG_MISMATCH;
  }
  /// True if the error is content after the document's root element ended
  /// (another top-level element, or another XML declaration).
  [[nodiscard]] bool error_is_after_root() const noexcept {
    if (!p_) return false;
    auto e = XML_GetErrorCode(p_);
    return e == XML_ERROR_JUNK_AFTER_DOC_ELEMENT || e == XML_ERROR_MISPLACED_XML_PI;
  }
  /// True if the error is the document ending with elements still open.
  [[nodiscard]] bool error_is_premature_end() const noexcept {
    if (!p_) return false;
    auto e = XML_GetErrorCode(p_);
    return e == XML_ERROR_NO_ELEMENTS || e == XML_ERROR_UNCLOSED_TOKEN || e == XML_ERROR_PARTIAL_CHAR;
  }

 private:
  void create(const char* encoding) {
    p_ = XML_ParserCreateNS(encoding, xml_namespace_separator);
    if (p_) install();
  }
  void install() {
    XML_SetUserData(p_, h_);
    XML_SetElementHandler(p_, &on_start, &on_end);
    XML_SetCharacterDataHandler(p_, &on_text);
    XML_SetNamespaceDeclHandler(p_, &on_ns_start, &on_ns_end);
    XML_SetXmlDeclHandler(p_, &on_decl);
    XML_SetProcessingInstructionHandler(p_, &on_pi);
  }
  status feed_one(const char* data, std::size_t n, bool last) {
    void* buf = XML_GetBuffer(p_, static_cast<int>(n));
    if (!buf) return status::error;
    if (n) std::memcpy(buf, data, n);
    return convert(XML_ParseBuffer(p_, static_cast<int>(n), last ? XML_TRUE : XML_FALSE));
  }
  static status convert(enum XML_Status s) noexcept {
    switch (s) {
      case XML_STATUS_OK: return status::ok;
      case XML_STATUS_SUSPENDED: return status::suspended;
      default: return status::error;
    }
  }

  static void XMLCALL on_start(void* u, const XML_Char* name, const XML_Char** atts) {
    static_cast<Handler*>(u)->xml_start(std::string_view(name), atts);
  }
  static void XMLCALL on_end(void* u, const XML_Char* name) { static_cast<Handler*>(u)->xml_end(std::string_view(name)); }
  static void XMLCALL on_text(void* u, const XML_Char* s, int len) {
    static_cast<Handler*>(u)->xml_text(s, static_cast<std::size_t>(len));
  }
  static void XMLCALL on_ns_start(void* u, const XML_Char* prefix, const XML_Char* uri) {
    static_cast<Handler*>(u)->xml_namespace_start(prefix, uri);
  }
  static void XMLCALL on_ns_end(void* u, const XML_Char* prefix) { static_cast<Handler*>(u)->xml_namespace_end(prefix); }
  static void XMLCALL on_decl(void* u, const XML_Char*, const XML_Char* encoding, int) {
    static_cast<Handler*>(u)->xml_declaration(encoding);
  }
  static void XMLCALL on_pi(void* u, const XML_Char* target, const XML_Char* data) {
    static_cast<Handler*>(u)->xml_pi(target, data);
  }

  Handler* h_;
  XML_Parser p_ = nullptr;
};

}  // namespace detail
MARCPP_NAMESPACE_END
