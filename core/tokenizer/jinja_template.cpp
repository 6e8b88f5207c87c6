// Jinja2 subset: lexer (with jinja2's whitespace rules), recursive-descent parser following
// jinja2's grammar and precedence (jinja2/parser.py), and a tree-walking renderer.
//
// Errors inside the lexer/parser/renderer travel as C++ exceptions (ParseError, RuntimeError,
// LocatedError) because they unwind deeply recursive code; they never leave this file:
// Template::parse and Template::render turn them into tb::Error values.
#include "core/tokenizer/jinja_template.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <unordered_map>

namespace tb::jinja {

namespace {

// ======================================================================================
// Lexer
// ======================================================================================

struct Tok {
    enum Type { Name, Str, Int, Float, Op, End } type = End;
    std::string text;  // name, operator, or decoded string literal
    int64_t i = 0;
    double f = 0.0;
    int line = 0, col = 0;
};

struct Piece {
    enum Kind { Text, Output, Stmt } kind = Text;
    std::string text;
    std::vector<Tok> toks;  // Output/Stmt: expression tokens, terminated by an End token
    int line = 0, col = 0;
};

struct ParseError {
    std::string message;
    int line, col;
};

struct LocatedError {
    std::string message;
    int line, col;
};

class Lexer {
  public:
    Lexer(std::string src, const Options& opt) : src_(std::move(src)), opt_(opt) {
        normalize();
        line_starts_.push_back(0);
        for (size_t i = 0; i < src_.size(); ++i)
            if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }

    std::vector<Piece> run() {
        std::vector<Piece> pieces;
        const size_t n = src_.size();
        size_t pos = 0;
        bool line_starting = true;
        while (pos < n) {
            size_t t = find_tag(pos);
            std::string text = src_.substr(pos, (t == std::string::npos ? n : t) - pos);
            if (t == std::string::npos) {
                push_text(pieces, text, pos);
                break;
            }
            const char kind = src_[t + 1];  // '{', '%' or '#'
            size_t body = t + 2;
            const char mod = body < n ? src_[body] : '\0';
            const bool lminus = mod == '-';
            const bool lplus = mod == '+' && kind != '{';
            if (lminus) {
                size_t e = text.size();
                while (e > 0 && is_ws(text[e - 1])) --e;
                text.erase(e);
            } else if (opt_.lstrip_blocks && kind != '{' && !lplus) {
                // Whitespace between the start of the line and a block/comment tag goes.
                size_t nl = text.rfind('\n');
                size_t lpos = nl == std::string::npos ? 0 : nl + 1;
                if (nl != std::string::npos || line_starting) {
                    bool blank = true;
                    for (size_t i = lpos; i < text.size(); ++i)
                        if (!(text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
                              text[i] == '\f' || text[i] == '\v'))
                            blank = false;
                    if (blank) text.erase(lpos);
                }
            }
            push_text(pieces, text, pos);
            if (lminus || lplus) ++body;

            bool rminus = false, rplus = false;
            if (kind == '#') {
                size_t e = src_.find("#}", body);
                if (e == std::string::npos) fail(t, "unterminated comment");
                rminus = e > body && src_[e - 1] == '-';
                rplus = e > body && src_[e - 1] == '+';
                pos = e + 2;
            } else {
                Piece p;
                p.kind = kind == '{' ? Piece::Output : Piece::Stmt;
                set_loc(p.line, p.col, t);
                p.toks = tokenize_tag(body, kind == '{' ? "}}" : "%}", &pos, &rminus, &rplus);
                pieces.push_back(std::move(p));
            }
            if (rminus) {
                while (pos < n && is_ws(src_[pos])) ++pos;
            } else if (opt_.trim_blocks && kind != '{' && !rplus && pos < n && src_[pos] == '\n') {
                ++pos;
            }
            line_starting = pos > 0 && src_[pos - 1] == '\n';
        }
        return pieces;
    }

    void set_loc(int& line, int& col, size_t pos) const {
        auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
        size_t idx = static_cast<size_t>(it - line_starts_.begin()) - 1;
        line = static_cast<int>(idx) + 1;
        col = static_cast<int>(pos - line_starts_[idx]) + 1;
    }

  private:
    static bool is_ws(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    }

    // jinja2 turns \r\n and \r into \n and drops one trailing newline of the source.
    void normalize() {
        std::string out;
        out.reserve(src_.size());
        for (size_t i = 0; i < src_.size(); ++i) {
            if (src_[i] == '\r') {
                out += '\n';
                if (i + 1 < src_.size() && src_[i + 1] == '\n') ++i;
            } else {
                out += src_[i];
            }
        }
        if (!opt_.keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
        src_ = std::move(out);
    }

    size_t find_tag(size_t from) const {
        for (size_t i = from; i + 1 < src_.size(); ++i)
            if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
                return i;
        return std::string::npos;
    }

    void push_text(std::vector<Piece>& pieces, const std::string& text, size_t pos) const {
        if (text.empty()) return;
        Piece p;
        p.kind = Piece::Text;
        p.text = text;
        set_loc(p.line, p.col, pos);
        pieces.push_back(std::move(p));
    }

    [[noreturn]] void fail(size_t pos, const std::string& what) const {
        int line, col;
        set_loc(line, col, pos);
        throw ParseError{what, line, col};
    }

    std::vector<Tok> tokenize_tag(size_t i, const std::string& close, size_t* end, bool* rminus,
                                  bool* rplus) {
        std::vector<Tok> toks;
        const size_t n = src_.size();
        while (true) {
            while (i < n && is_ws(src_[i])) ++i;
            if (i >= n) fail(i, "unexpected end of template, expected '" + close + "'");
            if (src_.compare(i, 1 + close.size(), "-" + close) == 0) {
                *rminus = true;
                *end = i + 1 + close.size();
                break;
            }
            if (close == "%}" && src_.compare(i, 3, "+%}") == 0) {
                *rplus = true;
                *end = i + 3;
                break;
            }
            if (src_.compare(i, close.size(), close) == 0) {
                *end = i + close.size();
                break;
            }
            Tok t;
            set_loc(t.line, t.col, i);
            char c = src_[i];
            if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                size_t j = i;
                while (j < n &&
                       (std::isalnum(static_cast<unsigned char>(src_[j])) || src_[j] == '_'))
                    ++j;
                t.type = Tok::Name;
                t.text = src_.substr(i, j - i);
                i = j;
            } else if (std::isdigit(static_cast<unsigned char>(c))) {
                i = lex_number(i, t);
            } else if (c == '\'' || c == '"') {
                i = lex_string(i, t);
            } else {
                static const char* ops2[] = {"//", "**", "==", "!=", "<=", ">="};
                t.type = Tok::Op;
                bool two = false;
                for (const char* op : ops2)
                    if (src_.compare(i, 2, op) == 0) {
                        t.text = op;
                        i += 2;
                        two = true;
                        break;
                    }
                if (!two) {
                    if (std::string("+-*/%~<>=()[]{},.:|").find(c) == std::string::npos)
                        fail(i, std::string("unexpected character '") + c + "'");
                    t.text = std::string(1, c);
                    ++i;
                }
            }
            toks.push_back(std::move(t));
        }
        Tok end_tok;
        end_tok.type = Tok::End;
        set_loc(end_tok.line, end_tok.col, *end - close.size());
        toks.push_back(end_tok);
        return toks;
    }

    size_t lex_number(size_t i, Tok& t) {
        const size_t n = src_.size();
        std::string digits;
        auto take_digits = [&](size_t j) {
            while (j < n && (std::isdigit(static_cast<unsigned char>(src_[j])) || src_[j] == '_')) {
                if (src_[j] != '_') digits += src_[j];
                ++j;
            }
            return j;
        };
        size_t j = take_digits(i);
        bool is_float = false;
        if (j + 1 < n && src_[j] == '.' && std::isdigit(static_cast<unsigned char>(src_[j + 1]))) {
            digits += '.';
            j = take_digits(j + 1);
            is_float = true;
        }
        if (j < n && (src_[j] == 'e' || src_[j] == 'E')) {
            size_t k = j + 1;
            if (k < n && (src_[k] == '+' || src_[k] == '-')) ++k;
            if (k < n && std::isdigit(static_cast<unsigned char>(src_[k]))) {
                digits += 'e';
                digits += src_.substr(j + 1, k - j - 1);
                j = take_digits(k);
                is_float = true;
            }
        }
        if (is_float) {
            t.type = Tok::Float;
            t.f = std::strtod(digits.c_str(), nullptr);
        } else {
            t.type = Tok::Int;
            errno = 0;
            t.i = std::strtoll(digits.c_str(), nullptr, 10);
            if (errno == ERANGE) fail(i, "integer literal out of range");
        }
        t.text = digits;
        return j;
    }

    static void append_utf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // String literal with Python 'unicode-escape' semantics, as jinja2 decodes them.
    size_t lex_string(size_t i, Tok& t) {
        const char q = src_[i];
        const size_t n = src_.size();
        size_t j = i + 1;
        std::string out;
        while (true) {
            if (j >= n) fail(i, "unterminated string literal");
            char c = src_[j];
            if (c == q) break;
            if (c != '\\') {
                out += c;
                ++j;
                continue;
            }
            if (j + 1 >= n) fail(i, "unterminated string literal");
            char e = src_[j + 1];
            j += 2;
            auto hex = [&](int count) -> uint32_t {
                if (j + count > n) fail(j, "truncated \\x/\\u escape");
                uint32_t v = 0;
                for (int k = 0; k < count; ++k) {
                    char h = src_[j + k];
                    if (!std::isxdigit(static_cast<unsigned char>(h))) fail(j, "bad hex escape");
                    v = v * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                           ? h - '0'
                                                           : (std::tolower(h) - 'a' + 10));
                }
                j += count;
                return v;
            };
            switch (e) {
                case '\n':
                    break;  // line continuation
                case '\\':
                    out += '\\';
                    break;
                case '\'':
                    out += '\'';
                    break;
                case '"':
                    out += '"';
                    break;
                case 'a':
                    out += '\a';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'v':
                    out += '\v';
                    break;
                case 'x':
                    append_utf8(out, hex(2));
                    break;
                case 'u':
                    append_utf8(out, hex(4));
                    break;
                case 'U':
                    append_utf8(out, hex(8));
                    break;
                default:
                    if (e >= '0' && e <= '7') {
                        uint32_t v = static_cast<uint32_t>(e - '0');
                        for (int k = 0; k < 2 && j < n && src_[j] >= '0' && src_[j] <= '7'; ++k)
                            v = v * 8 + static_cast<uint32_t>(src_[j++] - '0');
                        append_utf8(out, v);
                    } else {
                        out += '\\';  // unknown escapes stay as written (Python behaviour)
                        out += e;
                    }
            }
        }
        t.type = Tok::Str;
        t.text = out;
        return j + 1;
    }

    std::string src_;
    Options opt_;
    std::vector<size_t> line_starts_;
};

}  // namespace

// ======================================================================================
// AST (outside the anonymous namespace: Node is declared in the header)
// ======================================================================================

struct Expr;
using ExprP = std::shared_ptr<Expr>;

struct Expr {
    enum Kind {
        Literal,
        Name,
        Attr,
        Item,
        Slice,
        Call,
        Filter,
        Test,
        Neg,
        Pos,
        Not,
        Binary,
        Compare,
        And,
        Or,
        Cond,
        ListLit,
        TupleLit,
        DictLit
    } kind;
    int line = 0, col = 0;
    Value value;              // Literal
    std::string name;         // Name, Attr, Filter, Test, Binary operator
    std::vector<ExprP> args;  // children (see Parser for the layout per kind)
    std::vector<std::pair<std::string, ExprP>> kwargs;
    std::vector<std::string> ops;  // Compare operators
    bool negated = false;          // Test
};

struct Node {
    enum Kind { Block, Text, Output, If, For, Set, SetBlock, Break, Continue } kind = Block;
    int line = 0, col = 0;
    std::string text;  // Text
    ExprP expr;        // Output, For iterable, Set value
    std::vector<std::pair<ExprP, std::shared_ptr<Node>>> branches;  // If (cond, body)
    std::shared_ptr<Node> body;                                     // For, SetBlock
    std::shared_ptr<Node> else_body;                                // If, For
    std::vector<std::string> targets;                               // For / Set names
    std::string attr;                                               // Set ns.attr
    ExprP filter;                                                   // For ... if cond
    std::vector<std::shared_ptr<Node>> children;                    // Block
};

namespace {

using NodeP = std::shared_ptr<Node>;

// ======================================================================================
// Parser
// ======================================================================================

// Filters and tests the renderer implements; anything else is rejected at parse time (as
// jinja2 does), so an unsupported construct fails even in a branch that never runs.
const char* const kFilters[] = {
    "trim",    "length", "count",  "upper",  "lower",      "capitalize", "title",
    "default", "d",      "join",   "first",  "last",       "list",       "string",
    "safe",    "int",    "float",  "abs",    "reverse",    "replace",    "tojson",
    "items",   "map",    "select", "reject", "selectattr", "rejectattr"};
const char* const kTests[] = {
    "defined",  "undefined", "none",   "boolean", "true",        "false",
    "integer",  "float",     "number", "string",  "mapping",     "iterable",
    "sequence", "callable",  "even",   "odd",     "divisibleby", "eq",
    "equalto",  "==",        "ne",     "!=",      "lt",          "lessthan",
    "<",        "le",        "<=",     "gt",      "greaterthan", ">",
    "ge",       ">=",        "in",     "sameas",  "lower",       "upper"};

template <size_t N>
bool known(const char* const (&names)[N], const std::string& name) {
    for (const char* n : names)
        if (name == n) return true;
    return false;
}

class Parser {
  public:
    explicit Parser(std::vector<Piece> pieces) : pieces_(std::move(pieces)) {}

    NodeP parse_template() {
        std::string end;
        NodeP root = parse_block({}, &end);
        return root;
    }

  private:
    // ---- statements ----
    NodeP parse_block(const std::vector<std::string>& end_tags, std::string* end_tag) {
        auto block = std::make_shared<Node>();
        block->kind = Node::Block;
        while (idx_ < pieces_.size()) {
            Piece& p = pieces_[idx_];
            if (p.kind == Piece::Text) {
                auto n = std::make_shared<Node>();
                n->kind = Node::Text;
                n->text = p.text;
                block->children.push_back(n);
                ++idx_;
                continue;
            }
            begin(p);
            if (p.kind == Piece::Output) {
                auto n = std::make_shared<Node>();
                n->kind = Node::Output;
                n->line = p.line;
                n->col = p.col;
                n->expr = parse_tuple(true);
                expect_end();
                block->children.push_back(n);
                ++idx_;
                continue;
            }
            const Tok& head = cur();
            if (head.type != Tok::Name) fail(head, "expected a tag name");
            const std::string tag = head.text;
            if (std::find(end_tags.begin(), end_tags.end(), tag) != end_tags.end()) {
                *end_tag = tag;
                return block;  // caller consumes the end tag
            }
            ++ti_;
            if (tag == "if") {
                block->children.push_back(parse_if(p));
            } else if (tag == "for") {
                block->children.push_back(parse_for(p));
            } else if (tag == "set") {
                block->children.push_back(parse_set(p));
            } else if (tag == "break" || tag == "continue") {
                if (loop_depth_ == 0) fail(head, "'" + tag + "' outside of a for loop");
                expect_end();
                auto n = std::make_shared<Node>();
                n->kind = tag == "break" ? Node::Break : Node::Continue;
                block->children.push_back(n);
                ++idx_;
            } else if (tag == "generation") {
                // HF's AssistantTracker extension: the body renders normally.
                expect_end();
                ++idx_;
                std::string end;
                NodeP body = parse_block({"endgeneration"}, &end);
                require_end_tag(end, "endgeneration", head);
                block->children.push_back(body);
            } else if (is_end_tag(tag)) {
                fail(head, "unexpected '" + tag + "'" +
                               (end_tags.empty() ? std::string()
                                                 : " (expected '" + end_tags.back() + "')"));
            } else {
                fail(head, "unsupported tag '" + tag + "'");
            }
        }
        if (!end_tags.empty()) {
            const Piece& last = pieces_.empty() ? Piece() : pieces_.back();
            throw ParseError{"unexpected end of template, expected '" + end_tags.back() + "'",
                             last.line, last.col};
        }
        return block;
    }

    static bool is_end_tag(const std::string& t) {
        return t == "endif" || t == "endfor" || t == "endset" || t == "else" || t == "elif" ||
               t == "endgeneration" || t == "endmacro" || t == "endblock";
    }

    // After parse_block returned on an end tag: check it, consume the tag piece.
    void require_end_tag(const std::string& got, const std::string& want, const Tok& opener) {
        if (got != want) fail(opener, "expected '" + want + "'");
        begin(pieces_[idx_]);
        ++ti_;
        expect_end();
        ++idx_;
    }

    NodeP parse_if(const Piece& p) {
        auto n = std::make_shared<Node>();
        n->kind = Node::If;
        n->line = p.line;
        n->col = p.col;
        Tok opener = toks_->at(0);
        ExprP cond = parse_tuple(false);
        expect_end();
        ++idx_;
        while (true) {
            std::string end;
            NodeP body = parse_block({"elif", "else", "endif"}, &end);
            n->branches.emplace_back(cond, body);
            if (end.empty()) fail(opener, "expected 'endif'");
            begin(pieces_[idx_]);
            ++ti_;
            if (end == "elif") {
                cond = parse_tuple(false);
                expect_end();
                ++idx_;
                continue;
            }
            expect_end();
            ++idx_;
            if (end == "else") {
                std::string end2;
                n->else_body = parse_block({"endif"}, &end2);
                require_end_tag(end2, "endif", opener);
            }
            return n;
        }
    }

    NodeP parse_for(const Piece& p) {
        auto n = std::make_shared<Node>();
        n->kind = Node::For;
        n->line = p.line;
        n->col = p.col;
        Tok opener = toks_->at(0);
        n->targets = parse_targets();
        if (!(cur().type == Tok::Name && cur().text == "in")) fail(cur(), "expected 'in'");
        ++ti_;
        n->expr = parse_tuple(false);
        if (cur().type == Tok::Name && cur().text == "if") {
            ++ti_;
            n->filter = parse_expression(true);
        }
        if (cur().type == Tok::Name && cur().text == "recursive")
            fail(cur(), "recursive loops are not supported");
        expect_end();
        ++idx_;
        ++loop_depth_;
        std::string end;
        n->body = parse_block({"else", "endfor"}, &end);
        --loop_depth_;
        if (end == "else") {
            begin(pieces_[idx_]);
            ++ti_;
            expect_end();
            ++idx_;
            n->else_body = parse_block({"endfor"}, &end);
        }
        require_end_tag(end, "endfor", opener);
        return n;
    }

    std::vector<std::string> parse_targets() {
        std::vector<std::string> names;
        bool paren = false;
        if (cur().type == Tok::Op && cur().text == "(") {
            paren = true;
            ++ti_;
        }
        while (true) {
            if (cur().type != Tok::Name) fail(cur(), "expected a variable name");
            names.push_back(cur().text);
            ++ti_;
            if (cur().type == Tok::Op && cur().text == ",") {
                ++ti_;
                if (cur().type == Tok::Name && cur().text != "in") continue;
                break;
            }
            break;
        }
        if (paren) expect_op(")");
        return names;
    }

    NodeP parse_set(const Piece& p) {
        auto n = std::make_shared<Node>();
        n->line = p.line;
        n->col = p.col;
        Tok opener = toks_->at(0);
        if (cur().type != Tok::Name) fail(cur(), "expected a variable name");
        if (peek().type == Tok::Op && peek().text == ".") {
            n->targets.push_back(cur().text);
            ti_ += 2;
            if (cur().type != Tok::Name) fail(cur(), "expected an attribute name");
            n->attr = cur().text;
            ++ti_;
        } else {
            n->targets = parse_targets();
        }
        if (cur().type == Tok::Op && cur().text == "=") {
            ++ti_;
            n->kind = Node::Set;
            n->expr = parse_tuple(true);
            expect_end();
            ++idx_;
            return n;
        }
        if (n->targets.size() != 1 || !n->attr.empty()) fail(cur(), "expected '='");
        n->kind = Node::SetBlock;
        expect_end();
        ++idx_;
        std::string end;
        n->body = parse_block({"endset"}, &end);
        require_end_tag(end, "endset", opener);
        return n;
    }

    // ---- token helpers ----
    void begin(Piece& p) {
        toks_ = &p.toks;
        ti_ = 0;
    }
    const Tok& cur() const { return (*toks_)[ti_]; }
    const Tok& peek() const { return (*toks_)[std::min(ti_ + 1, toks_->size() - 1)]; }
    bool is_op(const char* op) const { return cur().type == Tok::Op && cur().text == op; }
    bool is_name(const char* name) const { return cur().type == Tok::Name && cur().text == name; }
    void expect_op(const char* op) {
        if (!is_op(op)) fail(cur(), std::string("expected '") + op + "'");
        ++ti_;
    }
    void expect_end() {
        if (cur().type != Tok::End) fail(cur(), "unexpected '" + describe(cur()) + "'");
    }
    static std::string describe(const Tok& t) {
        switch (t.type) {
            case Tok::End:
                return "end of tag";
            case Tok::Str:
                return "string literal";
            default:
                return t.text;
        }
    }
    [[noreturn]] static void fail(const Tok& t, const std::string& what) {
        throw ParseError{what, t.line, t.col};
    }
    ExprP make(Expr::Kind k, const Tok& at) {
        auto e = std::make_shared<Expr>();
        e->kind = k;
        e->line = at.line;
        e->col = at.col;
        return e;
    }

    // ---- expressions (jinja2/parser.py) ----
    ExprP parse_tuple(bool with_condexpr) {
        const Tok start = cur();
        std::vector<ExprP> items;
        bool saw_comma = false;
        while (true) {
            if (!items.empty()) {
                if (!is_op(",")) break;
                ++ti_;
                saw_comma = true;
            }
            if (cur().type == Tok::End || is_name("in") || is_op(")") || is_op("]")) break;
            items.push_back(parse_expression(with_condexpr));
        }
        if (!saw_comma) {
            if (items.empty()) fail(start, "expected an expression");
            return items[0];
        }
        ExprP t = make(Expr::TupleLit, start);
        t->args = std::move(items);
        return t;
    }

    ExprP parse_expression(bool with_condexpr) {
        return with_condexpr ? parse_condexpr() : parse_or();
    }

    ExprP parse_condexpr() {
        ExprP e = parse_or();
        while (is_name("if")) {
            Tok at = cur();
            ++ti_;
            ExprP cond = parse_or();
            ExprP other;
            if (is_name("else")) {
                ++ti_;
                other = parse_condexpr();
            }
            ExprP c = make(Expr::Cond, at);
            c->args = {e, cond, other};
            e = c;
        }
        return e;
    }

    ExprP parse_or() {
        ExprP left = parse_and();
        while (is_name("or")) {
            Tok at = cur();
            ++ti_;
            ExprP n = make(Expr::Or, at);
            n->args = {left, parse_and()};
            left = n;
        }
        return left;
    }

    ExprP parse_and() {
        ExprP left = parse_not();
        while (is_name("and")) {
            Tok at = cur();
            ++ti_;
            ExprP n = make(Expr::And, at);
            n->args = {left, parse_not()};
            left = n;
        }
        return left;
    }

    ExprP parse_not() {
        if (is_name("not")) {
            Tok at = cur();
            ++ti_;
            ExprP n = make(Expr::Not, at);
            n->args = {parse_not()};
            return n;
        }
        return parse_compare();
    }

    ExprP parse_compare() {
        Tok at = cur();
        ExprP first = parse_math1();
        ExprP cmp;
        while (true) {
            std::string op;
            if (cur().type == Tok::Op &&
                (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                 cur().text == ">" || cur().text == "<=" || cur().text == ">=")) {
                op = cur().text;
                ++ti_;
            } else if (is_name("in")) {
                op = "in";
                ++ti_;
            } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
                op = "notin";
                ti_ += 2;
            } else {
                break;
            }
            if (!cmp) {
                cmp = make(Expr::Compare, at);
                cmp->args.push_back(first);
            }
            cmp->ops.push_back(op);
            cmp->args.push_back(parse_math1());
        }
        return cmp ? cmp : first;
    }

    ExprP binary(const std::string& op, ExprP l, ExprP r, const Tok& at) {
        ExprP n = make(Expr::Binary, at);
        n->name = op;
        n->args = {std::move(l), std::move(r)};
        return n;
    }

    ExprP parse_math1() {
        ExprP left = parse_concat();
        while (is_op("+") || is_op("-")) {
            Tok at = cur();
            ++ti_;
            left = binary(at.text, left, parse_concat(), at);
        }
        return left;
    }

    ExprP parse_concat() {
        ExprP left = parse_math2();
        while (is_op("~")) {
            Tok at = cur();
            ++ti_;
            left = binary("~", left, parse_math2(), at);
        }
        return left;
    }

    ExprP parse_math2() {
        ExprP left = parse_pow();
        while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
            Tok at = cur();
            ++ti_;
            left = binary(at.text, left, parse_pow(), at);
        }
        return left;
    }

    ExprP parse_pow() {
        ExprP left = parse_unary(true);
        while (is_op("**")) {
            Tok at = cur();
            ++ti_;
            left = binary("**", left, parse_unary(true), at);
        }
        return left;
    }

    ExprP parse_unary(bool with_filter) {
        ExprP node;
        if (is_op("-") || is_op("+")) {
            Tok at = cur();
            ++ti_;
            node = make(at.text == "-" ? Expr::Neg : Expr::Pos, at);
            node->args = {parse_unary(false)};
        } else {
            node = parse_primary();
        }
        node = parse_postfix(node);
        if (with_filter) node = parse_filter_expr(node);
        return node;
    }

    ExprP parse_primary() {
        const Tok t = cur();
        switch (t.type) {
            case Tok::Name: {
                ++ti_;
                ExprP e = make(Expr::Literal, t);
                if (t.text == "true" || t.text == "True") {
                    e->value = Value::boolean(true);
                } else if (t.text == "false" || t.text == "False") {
                    e->value = Value::boolean(false);
                } else if (t.text == "none" || t.text == "None") {
                    e->value = Value::none();
                } else {
                    e->kind = Expr::Name;
                    e->name = t.text;
                }
                return e;
            }
            case Tok::Str: {
                std::string s;
                while (cur().type == Tok::Str) {  // adjacent literals concatenate
                    s += cur().text;
                    ++ti_;
                }
                ExprP e = make(Expr::Literal, t);
                e->value = Value::string(s);
                return e;
            }
            case Tok::Int: {
                ++ti_;
                ExprP e = make(Expr::Literal, t);
                e->value = Value::integer(t.i);
                return e;
            }
            case Tok::Float: {
                ++ti_;
                ExprP e = make(Expr::Literal, t);
                e->value = Value::floating(t.f);
                return e;
            }
            case Tok::Op:
                if (t.text == "(") {
                    ++ti_;
                    if (is_op(")")) {
                        ++ti_;
                        return make(Expr::TupleLit, t);
                    }
                    ExprP inner = parse_tuple(true);
                    expect_op(")");
                    return inner;
                }
                if (t.text == "[") {
                    ++ti_;
                    ExprP e = make(Expr::ListLit, t);
                    while (!is_op("]")) {
                        if (!e->args.empty()) expect_op(",");
                        if (is_op("]")) break;
                        e->args.push_back(parse_expression(true));
                    }
                    expect_op("]");
                    return e;
                }
                if (t.text == "{") {
                    ++ti_;
                    ExprP e = make(Expr::DictLit, t);
                    while (!is_op("}")) {
                        if (!e->args.empty()) expect_op(",");
                        if (is_op("}")) break;
                        e->args.push_back(parse_expression(true));
                        expect_op(":");
                        e->args.push_back(parse_expression(true));
                    }
                    expect_op("}");
                    return e;
                }
                break;
            default:
                break;
        }
        fail(t, "unexpected '" + describe(t) + "'");
    }

    ExprP parse_postfix(ExprP node) {
        while (true) {
            if (is_op(".")) {
                Tok at = cur();
                ++ti_;
                if (cur().type != Tok::Name) fail(cur(), "expected an attribute name after '.'");
                ExprP e = make(Expr::Attr, at);
                e->name = cur().text;
                e->args = {node};
                ++ti_;
                node = e;
            } else if (is_op("[")) {
                node = parse_subscript(node);
            } else if (is_op("(")) {
                node = parse_call(node);
            } else {
                return node;
            }
        }
    }

    ExprP parse_subscript(ExprP node) {
        Tok at = cur();
        ++ti_;  // '['
        ExprP parts[3];
        bool is_slice = false;
        int part = 0;
        while (!is_op("]")) {
            if (is_op(":")) {
                is_slice = true;
                if (++part > 2) fail(cur(), "too many ':' in slice");
                ++ti_;
                continue;
            }
            if (parts[part]) fail(cur(), "expected ']'");
            parts[part] = parse_expression(true);
            if (cur().type == Tok::End) fail(cur(), "expected ']'");
        }
        ++ti_;  // ']'
        if (!is_slice) {
            if (!parts[0]) fail(at, "empty subscript");
            ExprP e = make(Expr::Item, at);
            e->args = {node, parts[0]};
            return e;
        }
        ExprP e = make(Expr::Slice, at);
        e->args = {node, parts[0], parts[1], parts[2]};
        return e;
    }

    void parse_call_args(ExprP& e) {
        expect_op("(");
        while (!is_op(")")) {
            if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
                std::string key = cur().text;
                ti_ += 2;
                e->kwargs.emplace_back(key, parse_expression(true));
            } else {
                if (!e->kwargs.empty()) fail(cur(), "positional argument after keyword argument");
                e->args.push_back(parse_expression(true));
            }
            if (is_op(",")) {
                ++ti_;
                continue;
            }
            if (!is_op(")")) fail(cur(), "expected ',' or ')'");
        }
        ++ti_;
    }

    ExprP parse_call(ExprP callee) {
        ExprP e = make(Expr::Call, cur());
        e->args = {callee};
        parse_call_args(e);
        return e;
    }

    ExprP parse_filter_expr(ExprP node) {
        while (true) {
            if (is_op("|")) {
                ++ti_;
                if (cur().type != Tok::Name) fail(cur(), "expected a filter name");
                ExprP f = make(Expr::Filter, cur());
                f->name = cur().text;
                ++ti_;
                while (is_op(".")) {  // dotted filter names
                    ++ti_;
                    if (cur().type != Tok::Name) fail(cur(), "expected a filter name");
                    f->name += "." + cur().text;
                    ++ti_;
                }
                if (!known(kFilters, f->name))
                    throw ParseError{"unknown filter '" + f->name + "'", f->line, f->col};
                f->args = {node};
                if (is_op("(")) parse_call_args(f);
                node = f;
            } else if (is_name("is")) {
                ++ti_;
                ExprP t = make(Expr::Test, cur());
                if (is_name("not")) {
                    t->negated = true;
                    ++ti_;
                }
                if (cur().type != Tok::Name) fail(cur(), "expected a test name");
                if (!known(kTests, cur().text)) fail(cur(), "unknown test '" + cur().text + "'");
                t->name = cur().text;
                ++ti_;
                t->args = {node};
                if (is_op("(")) {
                    parse_call_args(t);
                } else if ((cur().type == Tok::Name || cur().type == Tok::Str ||
                            cur().type == Tok::Int || cur().type == Tok::Float || is_op("(") ||
                            is_op("[") || is_op("{")) &&
                           !is_name("else") && !is_name("or") && !is_name("and")) {
                    if (is_name("is")) fail(cur(), "you cannot chain multiple tests with 'is'");
                    ExprP arg = parse_postfix(parse_primary());
                    t->args.push_back(arg);
                }
                node = t;
            } else if (is_op("(")) {
                node = parse_call(node);
            } else {
                return node;
            }
        }
    }

    std::vector<Piece> pieces_;
    size_t idx_ = 0;
    std::vector<Tok>* toks_ = nullptr;
    size_t ti_ = 0;
    int loop_depth_ = 0;
};

// ======================================================================================
// Renderer
// ======================================================================================

enum class Flow { Normal, Break, Continue };

int64_t to_index(const Value& v, const char* what) {
    if (v.is_int() || v.is_bool()) return v.as_int();
    throw_error(std::string(what) + " indices must be integers, not " + v.type_name());
}

std::string undefined_message(const Value& v) {
    return v.as_string().empty() ? "value is undefined" : v.as_string();
}

void require_defined(const Value& v) {
    if (v.is_undefined()) throw_error(undefined_message(v));
}

const std::string& arg_string(const Value& v, const char* fn) {
    if (!v.is_string())
        throw_error(std::string(fn) + "() argument must be str, not " + v.type_name());
    return v.as_string();
}

// Python floor division / modulo for ints.
// Python integers are unbounded; ours are int64, so overflow is an error instead of a wrong
// number (or undefined behaviour).
[[noreturn]] void overflow() { throw_error("integer overflow (values are limited to 64 bits)"); }

int64_t add_i(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) overflow();
    return r;
}
int64_t sub_i(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) overflow();
    return r;
}
int64_t mul_i(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) overflow();
    return r;
}

// Longest string/list a template may build with '*' (guards against 'x' * 10**12).
constexpr size_t kMaxRepeatBytes = size_t{64} << 20;

int64_t floor_div(int64_t a, int64_t b) {
    if (a == INT64_MIN && b == -1) overflow();
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

Value slice_value(const Value& obj, const Value& start_v, const Value& stop_v,
                  const Value& step_v) {
    std::vector<std::string> chars;
    const bool is_str = obj.is_string();
    int64_t n;
    if (is_str) {
        chars = utf8_chars(obj.as_string());
        n = static_cast<int64_t>(chars.size());
    } else if (obj.is_list()) {
        n = static_cast<int64_t>(obj.as_list().size());
    } else if (obj.is_undefined()) {
        return Value::undefined(obj.as_string());
    } else {
        throw_error("'" + obj.type_name() + "' object is not subscriptable");
    }
    auto opt = [](const Value& v) { return !(v.is_undefined() || v.is_none()); };
    int64_t step = opt(step_v) ? to_index(step_v, "slice") : 1;
    if (step == 0) throw_error("slice step cannot be zero");
    auto clamp = [&](const Value& v, int64_t dflt) {
        if (!opt(v)) return dflt;
        int64_t i = to_index(v, "slice");
        if (i < 0) i += n;
        if (step > 0) return std::max<int64_t>(0, std::min(i, n));
        return std::max<int64_t>(-1, std::min(i, n - 1));
    };
    int64_t start = clamp(start_v, step > 0 ? 0 : n - 1);
    int64_t stop = clamp(stop_v, step > 0 ? n : -1);
    std::string s;
    ValueList items;
    for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
        if (is_str)
            s += chars[static_cast<size_t>(i)];
        else
            items.push_back(obj.as_list()[static_cast<size_t>(i)]);
        if (__builtin_add_overflow(i, step, &i)) break;
    }
    return is_str ? Value::string(s) : Value::list(std::move(items));
}

Value kwarg(const KwArgs& kw, const std::string& key) {
    for (const auto& kv : kw)
        if (kv.first == key) return kv.second;
    return Value::undefined();
}

// Positional-or-keyword argument `i`/`key` of a filter/method call (args exclude the input).
Value param(const ValueList& args, const KwArgs& kw, size_t i, const std::string& key) {
    if (i < args.size()) return args[i];
    return kwarg(kw, key);
}

Value string_method(const std::string& s, const std::string& name) {
    auto bind = [&](Function f) { return Value::function("str." + name, std::move(f)); };
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        bool l = name != "rstrip", r = name != "lstrip";
        return bind([s, l, r](const ValueList& a, const KwArgs&) {
            Value chars = a.empty() ? Value::none() : a[0];
            return Value::string(py_strip(s, l, r, chars));
        });
    }
    if (name == "upper")
        return bind([s](const ValueList&, const KwArgs&) { return Value::string(ascii_upper(s)); });
    if (name == "lower")
        return bind([s](const ValueList&, const KwArgs&) { return Value::string(ascii_lower(s)); });
    if (name == "title")
        return bind([s](const ValueList&, const KwArgs&) { return Value::string(py_title(s)); });
    if (name == "capitalize")
        return bind(
            [s](const ValueList&, const KwArgs&) { return Value::string(py_capitalize(s)); });
    if (name == "startswith" || name == "endswith") {
        bool start = name == "startswith";
        return bind([s, start, name](const ValueList& a, const KwArgs&) {
            if (a.empty()) throw_error(name + "() takes at least 1 argument");
            ValueList options = a[0].is_list() ? a[0].as_list() : ValueList{a[0]};
            for (const auto& o : options) {
                const std::string& p = arg_string(o, name.c_str());
                if (p.size() <= s.size() &&
                    (start ? s.compare(0, p.size(), p) == 0
                           : s.compare(s.size() - p.size(), p.size(), p) == 0))
                    return Value::boolean(true);
            }
            return Value::boolean(false);
        });
    }
    if (name == "split") {
        return bind([s](const ValueList& a, const KwArgs& kw) {
            Value sep = param(a, kw, 0, "sep");
            Value maxv = param(a, kw, 1, "maxsplit");
            int64_t maxsplit = maxv.is_int() ? maxv.as_int() : -1;
            ValueList parts;
            if (sep.is_undefined() || sep.is_none()) {  // runs of whitespace, no empties
                auto cs = utf8_chars(s);
                size_t i = 0;
                while (i < cs.size()) {
                    while (i < cs.size() && is_py_space(cs[i])) ++i;
                    if (i >= cs.size()) break;
                    std::string word;
                    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
                        for (; i < cs.size(); ++i) word += cs[i];  // rest, trailing space kept
                        parts.push_back(Value::string(word));
                        break;
                    }
                    while (i < cs.size() && !is_py_space(cs[i])) word += cs[i++];
                    parts.push_back(Value::string(word));
                }
                return Value::list(std::move(parts));
            }
            const std::string& d = arg_string(sep, "split");
            if (d.empty()) throw_error("empty separator");
            size_t start = 0;
            while (true) {
                size_t p = s.find(d, start);
                if (p == std::string::npos ||
                    (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit)) {
                    parts.push_back(Value::string(s.substr(start)));
                    break;
                }
                parts.push_back(Value::string(s.substr(start, p - start)));
                start = p + d.size();
            }
            return Value::list(std::move(parts));
        });
    }
    if (name == "replace") {
        return bind([s](const ValueList& a, const KwArgs&) {
            if (a.size() < 2) throw_error("replace() takes at least 2 arguments");
            const std::string& from = arg_string(a[0], "replace");
            const std::string& to = arg_string(a[1], "replace");
            int64_t count = a.size() > 2 ? to_index(a[2], "replace") : -1;
            std::string out;
            size_t start = 0;
            int64_t done = 0;
            if (from.empty()) throw_error("replace() with an empty pattern is not supported");
            while (count < 0 || done < count) {
                size_t p = s.find(from, start);
                if (p == std::string::npos) break;
                out += s.substr(start, p - start) + to;
                start = p + from.size();
                ++done;
            }
            return Value::string(out + s.substr(start));
        });
    }
    return Value::undefined("'str object' has no attribute '" + name + "'");
}

Value dict_method(const Value& d, const std::string& name) {
    if (d.as_dict().is_namespace) return Value::undefined();
    auto bind = [&](Function f) { return Value::function("dict." + name, std::move(f)); };
    if (name == "get") {
        return bind([d](const ValueList& a, const KwArgs&) {
            if (a.empty()) throw_error("get() takes at least 1 argument");
            if (a[0].is_string())
                if (const Value* v = d.as_dict().find(a[0].as_string())) return *v;
            return a.size() > 1 ? a[1] : Value::none();
        });
    }
    if (name == "items" || name == "keys" || name == "values") {
        return bind([d, name](const ValueList&, const KwArgs&) {
            ValueList out;
            for (const auto& kv : d.as_dict().items) {
                if (name == "items")
                    out.push_back(Value::list({Value::string(kv.first), kv.second}));
                else if (name == "keys")
                    out.push_back(Value::string(kv.first));
                else
                    out.push_back(kv.second);
            }
            return Value::list(std::move(out));
        });
    }
    return Value::undefined();
}

// jinja2's environment.getattr: Python attribute first, then item.
Value get_attr(const Value& obj, const std::string& name) {
    switch (obj.kind()) {
        case Value::Kind::Undefined:
            throw_error(undefined_message(obj));
        case Value::Kind::String:
            return string_method(obj.as_string(), name);
        case Value::Kind::Dict: {
            Value m = dict_method(obj, name);
            if (!m.is_undefined()) return m;
            if (const Value* v = obj.as_dict().find(name)) return *v;
            return Value::undefined("'dict object' has no attribute '" + name + "'");
        }
        default:
            return Value::undefined("'" + obj.type_name() + " object' has no attribute '" + name +
                                    "'");
    }
}

// jinja2's environment.getitem: item first, then attribute for string keys.
Value get_item(const Value& obj, const Value& key) {
    switch (obj.kind()) {
        case Value::Kind::Undefined:
            throw_error(undefined_message(obj));
        case Value::Kind::Dict:
            if (key.is_string()) {
                if (const Value* v = obj.as_dict().find(key.as_string())) return *v;
                Value m = dict_method(obj, key.as_string());
                if (!m.is_undefined()) return m;
                return Value::undefined("'dict object' has no attribute '" + key.as_string() + "'");
            }
            return Value::undefined("'dict object' has no attribute " + py_repr(key));
        case Value::Kind::List: {
            if (key.is_string()) return get_attr(obj, key.as_string());
            int64_t i = to_index(key, "list");
            int64_t n = static_cast<int64_t>(obj.as_list().size());
            if (i < 0) i += n;
            if (i < 0 || i >= n)
                return Value::undefined("'list object' has no element " + py_repr(key));
            return obj.as_list()[static_cast<size_t>(i)];
        }
        case Value::Kind::String: {
            if (key.is_string()) return get_attr(obj, key.as_string());
            auto chars = utf8_chars(obj.as_string());
            int64_t i = to_index(key, "string");
            int64_t n = static_cast<int64_t>(chars.size());
            if (i < 0) i += n;
            if (i < 0 || i >= n)
                return Value::undefined("'str object' has no element " + py_repr(key));
            return Value::string(chars[static_cast<size_t>(i)]);
        }
        default:
            // jinja2 turns failed lookups into Undefined rather than raising.
            if (key.is_string()) return get_attr(obj, key.as_string());
            return Value::undefined("'" + obj.type_name() + " object' has no element " +
                                    py_repr(key));
    }
}

Value arith(const std::string& op, const Value& a, const Value& b) {
    if (op == "~") return Value::string(py_str(a) + py_str(b));
    require_defined(a);
    require_defined(b);
    auto unsupported = [&]() -> Value {
        throw_error("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" +
                    b.type_name() + "'");
    };
    const bool nums = a.is_number() && b.is_number();
    const bool flt = nums && (a.is_float() || b.is_float());
    if (op == "+") {
        if (nums)
            return flt ? Value::floating(a.as_float() + b.as_float())
                       : Value::integer(add_i(a.as_int(), b.as_int()));
        if (a.is_string() && b.is_string()) return Value::string(a.as_string() + b.as_string());
        if (a.is_list() && b.is_list()) {
            ValueList out = a.as_list();
            out.insert(out.end(), b.as_list().begin(), b.as_list().end());
            return Value::list(std::move(out));
        }
        return unsupported();
    }
    if (op == "-") {
        if (!nums) return unsupported();
        return flt ? Value::floating(a.as_float() - b.as_float())
                   : Value::integer(sub_i(a.as_int(), b.as_int()));
    }
    if (op == "*") {
        if (nums)
            return flt ? Value::floating(a.as_float() * b.as_float())
                       : Value::integer(mul_i(a.as_int(), b.as_int()));
        const Value* seq = a.is_number() ? &b : &a;
        const Value* cnt = a.is_number() ? &a : &b;
        if (!(cnt->is_int() || cnt->is_bool())) return unsupported();
        int64_t k = std::max<int64_t>(0, cnt->as_int());
        size_t unit = seq->is_string() ? seq->as_string().size()
                                       : (seq->is_list() ? seq->as_list().size() : 0);
        if (unit > 0 && static_cast<uint64_t>(k) > kMaxRepeatBytes / unit)
            throw_error("sequence repetition result too large");
        if (seq->is_string()) {
            std::string out;
            for (int64_t i = 0; i < k; ++i) out += seq->as_string();
            return Value::string(out);
        }
        if (seq->is_list()) {
            ValueList out;
            for (int64_t i = 0; i < k; ++i)
                out.insert(out.end(), seq->as_list().begin(), seq->as_list().end());
            return Value::list(std::move(out));
        }
        return unsupported();
    }
    if (!nums) {
        if (op == "%" && a.is_string())
            throw_error("printf-style string formatting ('%' on strings) is not supported");
        return unsupported();
    }
    if (op == "/") {
        if (b.as_float() == 0.0) throw_error("division by zero");
        return Value::floating(a.as_float() / b.as_float());
    }
    if (op == "//") {
        if (b.as_float() == 0.0) throw_error("integer division or modulo by zero");
        if (flt) return Value::floating(std::floor(a.as_float() / b.as_float()));
        return Value::integer(floor_div(a.as_int(), b.as_int()));
    }
    if (op == "%") {
        if (b.as_float() == 0.0) throw_error("integer division or modulo by zero");
        if (flt) {
            double r = std::fmod(a.as_float(), b.as_float());
            if (r != 0.0 && ((r < 0) != (b.as_float() < 0))) r += b.as_float();
            return Value::floating(r);
        }
        return Value::integer(a.as_int() - floor_div(a.as_int(), b.as_int()) * b.as_int());
    }
    if (op == "**") {
        if (!flt && b.as_int() >= 0) {
            int64_t r = 1, base = a.as_int(), e = b.as_int();
            while (e > 0) {  // square-and-multiply, overflow-checked
                if (e & 1) r = mul_i(r, base);
                e >>= 1;
                if (e > 0) base = mul_i(base, base);
            }
            return Value::integer(r);
        }
        return Value::floating(std::pow(a.as_float(), b.as_float()));
    }
    return unsupported();
}

bool contains(const Value& container, const Value& item) {
    switch (container.kind()) {
        case Value::Kind::String:
            if (!item.is_string())
                throw_error("'in <string>' requires string as left operand, not " +
                            item.type_name());
            return container.as_string().find(item.as_string()) != std::string::npos;
        case Value::Kind::List:
            for (const auto& v : container.as_list())
                if (py_equal(v, item)) return true;
            return false;
        case Value::Kind::Dict:
            return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
        case Value::Kind::Undefined:
            return false;
        default:
            throw_error("argument of type '" + container.type_name() + "' is not iterable");
    }
}

bool compare(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return py_equal(a, b);
    if (op == "!=") return !py_equal(a, b);
    if (op == "in") return contains(b, a);
    if (op == "notin") return !contains(b, a);
    require_defined(a);
    require_defined(b);
    if (op == "<") return py_less(a, b);
    if (op == ">") return py_less(b, a);
    if (op == "<=") return py_less(a, b) || py_equal(a, b);
    if (op == ">=") return py_less(b, a) || py_equal(a, b);
    throw_error("unknown comparison '" + op + "'");
}

bool run_test(const std::string& name, const Value& v, const ValueList& args) {
    auto arg0 = [&]() -> const Value& {
        if (args.empty()) throw_error("test '" + name + "' needs an argument");
        return args[0];
    };
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.is_none();
    if (name == "boolean") return v.is_bool();
    if (name == "true") return v.is_bool() && v.as_bool();
    if (name == "false") return v.is_bool() && !v.as_bool();
    if (name == "integer") return v.is_int();
    if (name == "float") return v.is_float();
    if (name == "number") return v.is_number();
    if (name == "string") return v.is_string();
    if (name == "mapping") return v.is_dict();
    if (name == "iterable") return v.is_string() || v.is_list() || v.is_dict();
    if (name == "sequence") return v.is_string() || v.is_list() || v.is_dict();
    if (name == "callable") return v.is_function();
    if (name == "even" || name == "odd" || name == "divisibleby") {
        if (!(v.is_int() || v.is_bool())) throw_error("test '" + name + "' needs an integer");
        int64_t d = name == "divisibleby" ? to_index(arg0(), "divisibleby") : 2;
        if (d == 0) throw_error("integer division or modulo by zero");
        int64_t r = v.as_int() - floor_div(v.as_int(), d) * d;
        return name == "odd" ? r != 0 : r == 0;
    }
    if (name == "eq" || name == "equalto" || name == "==") return py_equal(v, arg0());
    if (name == "ne" || name == "!=") return !py_equal(v, arg0());
    if (name == "lt" || name == "lessthan" || name == "<") return compare("<", v, arg0());
    if (name == "le" || name == "<=") return compare("<=", v, arg0());
    if (name == "gt" || name == "greaterthan" || name == ">") return compare(">", v, arg0());
    if (name == "ge" || name == ">=") return compare(">=", v, arg0());
    if (name == "in") return contains(arg0(), v);
    if (name == "sameas") {
        const Value& o = arg0();
        if (v.kind() != o.kind()) return false;
        if (v.is_none() || v.is_undefined()) return true;
        if (v.is_bool()) return v.as_bool() == o.as_bool();
        if (v.is_list()) return &v.as_list() == &o.as_list();
        if (v.is_dict()) return &v.as_dict() == &o.as_dict();
        return py_equal(v, o);
    }
    if (name == "lower") return v.is_string() && ascii_lower(v.as_string()) == v.as_string();
    if (name == "upper") return v.is_string() && ascii_upper(v.as_string()) == v.as_string();
    throw_error("unknown test '" + name + "'");
}

class Renderer {
  public:
    explicit Renderer(const Context& ctx) : ctx_(ctx) {
        scopes_.emplace_back();
        install_globals();
    }

    std::string render(const Node& root) {
        exec(root);
        return std::move(out_);
    }

  private:
    void install_globals() {
        builtins_["raise_exception"] =
            Value::function("raise_exception", [](const ValueList& a, const KwArgs&) -> Value {
                throw_error(a.empty() ? std::string("raise_exception() called") : py_str(a[0]));
            });
        builtins_["namespace"] =
            Value::function("namespace", [](const ValueList& a, const KwArgs& kw) {
                Dict d;
                d.is_namespace = true;
                for (const auto& v : a) {
                    if (!v.is_dict()) throw_error("namespace() positional argument must be a dict");
                    for (const auto& kv : v.as_dict().items) d.set(kv.first, kv.second);
                }
                for (const auto& kv : kw) d.set(kv.first, kv.second);
                return Value::dict(std::move(d));
            });
        builtins_["dict"] = Value::function("dict", [](const ValueList& a, const KwArgs& kw) {
            Dict d;
            if (!a.empty()) throw_error("dict() supports keyword arguments only");
            for (const auto& kv : kw) d.set(kv.first, kv.second);
            return Value::dict(std::move(d));
        });
        builtins_["range"] = Value::function("range", [](const ValueList& a, const KwArgs&) {
            if (a.empty() || a.size() > 3) throw_error("range expected 1 to 3 arguments");
            int64_t start = 0, stop, step = 1;
            if (a.size() == 1) {
                stop = to_index(a[0], "range");
            } else {
                start = to_index(a[0], "range");
                stop = to_index(a[1], "range");
                if (a.size() == 3) step = to_index(a[2], "range");
            }
            if (step == 0) throw_error("range() arg 3 must not be zero");
            ValueList out;
            for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
                if (out.size() > 1000000) throw_error("range() too large");
                out.push_back(Value::integer(i));
                if (__builtin_add_overflow(i, step, &i)) break;
            }
            return Value::list(std::move(out));
        });
        builtins_["strftime_now"] =
            Value::function("strftime_now", [](const ValueList& a, const KwArgs&) {
                if (a.empty()) throw_error("strftime_now() needs a format");
                std::time_t t = std::time(nullptr);
                std::tm tm{};
                localtime_r(&t, &tm);
                char buf[256];
                size_t n =
                    std::strftime(buf, sizeof buf, arg_string(a[0], "strftime_now").c_str(), &tm);
                return Value::string(std::string(buf, n));
            });
    }

    Value lookup(const std::string& name) const {
        for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
            auto f = it->find(name);
            if (f != it->end()) return f->second;
        }
        auto c = ctx_.find(name);
        if (c != ctx_.end()) return c->second;
        auto b = builtins_.find(name);
        if (b != builtins_.end()) return b->second;
        return Value::undefined("'" + name + "' is undefined");
    }

    // ---- statements ----
    Flow exec(const Node& n) {
        switch (n.kind) {
            case Node::Block:
                for (const auto& c : n.children) {
                    Flow f = exec(*c);
                    if (f != Flow::Normal) return f;
                }
                return Flow::Normal;
            case Node::Text:
                out_ += n.text;
                return Flow::Normal;
            case Node::Output:
                out_ += py_str(eval(*n.expr));
                return Flow::Normal;
            case Node::If:
                for (const auto& br : n.branches)
                    if (eval(*br.first).truthy()) return exec(*br.second);
                if (n.else_body) return exec(*n.else_body);
                return Flow::Normal;
            case Node::For:
                exec_for(n);
                return Flow::Normal;
            case Node::Set:
                assign(n, eval(*n.expr));
                return Flow::Normal;
            case Node::SetBlock: {
                std::string saved;
                std::swap(saved, out_);
                exec(*n.body);
                std::swap(saved, out_);
                scopes_.back()[n.targets[0]] = Value::string(saved);
                return Flow::Normal;
            }
            case Node::Break:
                return Flow::Break;
            case Node::Continue:
                return Flow::Continue;
        }
        return Flow::Normal;
    }

    void bind_targets(std::unordered_map<std::string, Value>& scope,
                      const std::vector<std::string>& targets, const Value& v, const Node& at) {
        if (targets.size() == 1) {
            scope[targets[0]] = v;
            return;
        }
        ValueList items = v.is_list() ? v.as_list() : py_iter(v);
        if (items.size() != targets.size())
            throw LocatedError{"cannot unpack " + std::to_string(items.size()) + " values into " +
                                   std::to_string(targets.size()) + " targets",
                               at.line, at.col};
        for (size_t i = 0; i < targets.size(); ++i) scope[targets[i]] = items[i];
    }

    void assign(const Node& n, const Value& v) {
        if (!n.attr.empty()) {
            Value ns = lookup(n.targets[0]);
            if (!ns.is_dict() || !ns.as_dict().is_namespace)
                throw LocatedError{"cannot assign attribute on non-namespace object", n.line,
                                   n.col};
            ns.as_dict().set(n.attr, v);  // namespaces are shared: the write is visible outside
            return;
        }
        bind_targets(scopes_.back(), n.targets, v, n);
    }

    void exec_for(const Node& n) {
        Value seq = eval(*n.expr);
        if (seq.is_none() || seq.is_number() || seq.is_function())
            throw LocatedError{"'" + seq.type_name() + "' object is not iterable", n.line, n.col};
        ValueList all;
        try {
            all = py_iter(seq);
        } catch (const RuntimeError& e) {
            throw LocatedError{e.message, n.line, n.col};
        }
        ValueList items;
        if (n.filter) {
            for (const auto& v : all) {
                scopes_.emplace_back();
                bind_targets(scopes_.back(), n.targets, v, n);
                bool keep = eval(*n.filter).truthy();
                scopes_.pop_back();
                if (keep) items.push_back(v);
            }
        } else {
            items = std::move(all);
        }
        if (items.empty()) {
            if (n.else_body) exec(*n.else_body);
            return;
        }
        const int64_t len = static_cast<int64_t>(items.size());
        for (int64_t i = 0; i < len; ++i) {
            scopes_.emplace_back();  // fresh scope per iteration, as jinja2
            auto& scope = scopes_.back();
            bind_targets(scope, n.targets, items[static_cast<size_t>(i)], n);
            Dict loop;
            loop.set("index0", Value::integer(i));
            loop.set("index", Value::integer(i + 1));
            loop.set("revindex0", Value::integer(len - i - 1));
            loop.set("revindex", Value::integer(len - i));
            loop.set("first", Value::boolean(i == 0));
            loop.set("last", Value::boolean(i == len - 1));
            loop.set("length", Value::integer(len));
            loop.set("depth", Value::integer(1));
            loop.set("depth0", Value::integer(0));
            loop.set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)]
                                       : Value::undefined("there is no previous item"));
            loop.set("nextitem", i + 1 < len ? items[static_cast<size_t>(i + 1)]
                                             : Value::undefined("there is no next item"));
            loop.set("cycle", Value::function("loop.cycle", [i](const ValueList& a, const KwArgs&) {
                         if (a.empty()) throw_error("no items for cycling given");
                         return a[static_cast<size_t>(i) % a.size()];
                     }));
            scope["loop"] = Value::dict(std::move(loop));
            Flow f = exec(*n.body);
            scopes_.pop_back();
            if (f == Flow::Break) break;
        }
    }

    // ---- expressions ----
    Value eval(const Expr& e) {
        try {
            return eval_inner(e);
        } catch (const RuntimeError& err) {
            throw LocatedError{err.message, e.line, e.col};
        }
    }

    Value eval_inner(const Expr& e) {
        switch (e.kind) {
            case Expr::Literal:
                return e.value;
            case Expr::Name:
                return lookup(e.name);
            case Expr::Attr:
                return get_attr(eval(*e.args[0]), e.name);
            case Expr::Item:
                return get_item(eval(*e.args[0]), eval(*e.args[1]));
            case Expr::Slice: {
                Value obj = eval(*e.args[0]);
                Value a = e.args[1] ? eval(*e.args[1]) : Value::none();
                Value b = e.args[2] ? eval(*e.args[2]) : Value::none();
                Value c = e.args[3] ? eval(*e.args[3]) : Value::none();
                return slice_value(obj, a, b, c);
            }
            case Expr::Call: {
                Value callee = eval(*e.args[0]);
                ValueList args;
                for (size_t i = 1; i < e.args.size(); ++i) args.push_back(eval(*e.args[i]));
                KwArgs kw;
                for (const auto& kv : e.kwargs) kw.emplace_back(kv.first, eval(*kv.second));
                if (callee.is_undefined()) throw_error(undefined_message(callee));
                if (!callee.is_function())
                    throw_error("'" + callee.type_name() + "' object is not callable");
                return callee.as_function()(args, kw);
            }
            case Expr::Filter: {
                Value input = eval(*e.args[0]);
                ValueList args;
                for (size_t i = 1; i < e.args.size(); ++i) args.push_back(eval(*e.args[i]));
                KwArgs kw;
                for (const auto& kv : e.kwargs) kw.emplace_back(kv.first, eval(*kv.second));
                return apply_filter(e.name, input, args, kw);
            }
            case Expr::Test: {
                Value input = eval(*e.args[0]);
                ValueList args;
                for (size_t i = 1; i < e.args.size(); ++i) args.push_back(eval(*e.args[i]));
                bool r = run_test(e.name, input, args);
                return Value::boolean(e.negated ? !r : r);
            }
            case Expr::Neg:
            case Expr::Pos: {
                Value v = eval(*e.args[0]);
                require_defined(v);
                if (!v.is_number())
                    throw_error("bad operand type for unary " +
                                std::string(e.kind == Expr::Neg ? "-" : "+") + ": '" +
                                v.type_name() + "'");
                if (e.kind == Expr::Pos) return v.is_bool() ? Value::integer(v.as_int()) : v;
                return v.is_float() ? Value::floating(-v.as_float())
                                    : Value::integer(sub_i(0, v.as_int()));
            }
            case Expr::Not:
                return Value::boolean(!eval(*e.args[0]).truthy());
            case Expr::Binary:
                return arith(e.name, eval(*e.args[0]), eval(*e.args[1]));
            case Expr::Compare: {
                Value left = eval(*e.args[0]);
                for (size_t i = 0; i < e.ops.size(); ++i) {
                    Value right = eval(*e.args[i + 1]);
                    if (!compare(e.ops[i], left, right)) return Value::boolean(false);
                    left = right;
                }
                return Value::boolean(true);
            }
            case Expr::And: {
                Value l = eval(*e.args[0]);
                return l.truthy() ? eval(*e.args[1]) : l;
            }
            case Expr::Or: {
                Value l = eval(*e.args[0]);
                return l.truthy() ? l : eval(*e.args[1]);
            }
            case Expr::Cond:
                if (eval(*e.args[1]).truthy()) return eval(*e.args[0]);
                return e.args[2] ? eval(*e.args[2])
                                 : Value::undefined("conditional expression had no else branch");
            case Expr::ListLit:
            case Expr::TupleLit: {
                ValueList items;
                for (const auto& a : e.args) items.push_back(eval(*a));
                return Value::list(std::move(items));
            }
            case Expr::DictLit: {
                Dict d;
                for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
                    Value k = eval(*e.args[i]);
                    if (!k.is_string()) throw_error("only string dictionary keys are supported");
                    d.set(k.as_string(), eval(*e.args[i + 1]));
                }
                return Value::dict(std::move(d));
            }
        }
        throw_error("unknown expression");
    }

    Value apply_filter(const std::string& name, const Value& v, const ValueList& a,
                       const KwArgs& kw) {
        auto str_in = [&]() { return py_str(v); };
        if (name == "trim")
            return Value::string(py_strip(str_in(), true, true, param(a, kw, 0, "chars")));
        if (name == "length" || name == "count") return Value::integer(py_len(v));
        if (name == "upper") return Value::string(ascii_upper(str_in()));
        if (name == "lower") return Value::string(ascii_lower(str_in()));
        if (name == "capitalize") return Value::string(py_capitalize(str_in()));
        if (name == "title") {
            // jinja2 do_title: split on runs of [-\s({[<], capitalize each piece.
            std::string s = str_in(), out;
            bool word_start = true;
            for (char c : s) {
                bool sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' ||
                           is_py_space(std::string(1, c));
                if (sep) {
                    out += c;
                    word_start = true;
                } else {
                    out += word_start ? ascii_upper(std::string(1, c))
                                      : ascii_lower(std::string(1, c));
                    word_start = false;
                }
            }
            return Value::string(out);
        }
        if (name == "default" || name == "d") {
            Value dflt = param(a, kw, 0, "default_value");
            if (dflt.is_undefined()) dflt = Value::string("");
            bool boolean = param(a, kw, 1, "boolean").truthy();
            if (v.is_undefined() || (boolean && !v.truthy())) return dflt;
            return v;
        }
        if (name == "join") {
            Value sep = param(a, kw, 0, "d");
            Value attr = param(a, kw, 1, "attribute");
            std::string out;
            bool first = true;
            for (const auto& item : py_iter(v)) {
                if (!first) out += sep.is_undefined() ? "" : py_str(sep);
                first = false;
                out += py_str(attr.is_undefined() ? item : get_item(item, attr));
            }
            return Value::string(out);
        }
        if (name == "first" || name == "last") {
            ValueList items = py_iter(v);
            if (items.empty()) return Value::undefined("No first item, sequence was empty.");
            return name == "first" ? items.front() : items.back();
        }
        if (name == "list") return Value::list(py_iter(v));
        if (name == "string") return Value::string(str_in());
        if (name == "safe") return v;
        if (name == "int") {
            Value dflt = param(a, kw, 0, "default");
            auto from_double = [&](double f) {
                // int(f) truncates; beyond int64 (or nan/inf) is an error, not UB
                if (!(std::fabs(f) < 9.2e18))
                    throw_error("int() of " + py_repr(Value::floating(f)) + " is out of range");
                return Value::integer(static_cast<int64_t>(f));
            };
            if (v.is_number())
                return v.is_float() ? from_double(v.as_float()) : Value::integer(v.as_int());
            if (v.is_string()) {
                std::string s = py_strip(v.as_string(), true, true, Value::none());
                char* end = nullptr;
                errno = 0;
                long long r = std::strtoll(s.c_str(), &end, 10);
                if (!s.empty() && end && *end == '\0' && errno == 0) return Value::integer(r);
                double f = std::strtod(s.c_str(), &end);
                if (!s.empty() && end && *end == '\0') return from_double(f);
            }
            return dflt.is_undefined() ? Value::integer(0) : dflt;
        }
        if (name == "float") {
            Value dflt = param(a, kw, 0, "default");
            if (v.is_number()) return Value::floating(v.as_float());
            if (v.is_string()) {
                std::string s = py_strip(v.as_string(), true, true, Value::none());
                char* end = nullptr;
                double f = std::strtod(s.c_str(), &end);
                if (!s.empty() && end && *end == '\0') return Value::floating(f);
            }
            return dflt.is_undefined() ? Value::floating(0.0) : dflt;
        }
        if (name == "abs") {
            if (!v.is_number()) throw_error("bad operand type for abs(): '" + v.type_name() + "'");
            return v.is_float()
                       ? Value::floating(std::fabs(v.as_float()))
                       : Value::integer(v.as_int() < 0 ? sub_i(0, v.as_int()) : v.as_int());
        }
        if (name == "reverse") {
            if (v.is_string()) {
                auto cs = utf8_chars(v.as_string());
                std::string out;
                for (auto it = cs.rbegin(); it != cs.rend(); ++it) out += *it;
                return Value::string(out);
            }
            ValueList items = py_iter(v);
            std::reverse(items.begin(), items.end());
            return Value::list(std::move(items));
        }
        if (name == "replace") {
            ValueList margs = {param(a, kw, 0, "old"), param(a, kw, 1, "new")};
            Value count = param(a, kw, 2, "count");
            if (!count.is_undefined() && !count.is_none()) margs.push_back(count);
            return string_method(str_in(), "replace").as_function()(margs, {});
        }
        if (name == "tojson") {
            Value indent = param(a, kw, 0, "indent");
            return Value::string(
                to_json(v, indent.is_int() ? static_cast<int>(indent.as_int()) : -1));
        }
        if (name == "items") {
            if (v.is_undefined()) return Value::list();
            if (!v.is_dict()) throw_error("items filter needs a mapping, got " + v.type_name());
            return dict_method(v, "items").as_function()({}, {});
        }
        if (name == "map") {
            Value attr = kwarg(kw, "attribute");
            ValueList out;
            for (const auto& item : py_iter(v)) {
                if (!attr.is_undefined()) {
                    Value r = get_item(item, attr);
                    if (r.is_undefined()) {
                        Value dflt = kwarg(kw, "default");
                        if (!dflt.is_undefined()) r = dflt;
                    }
                    out.push_back(r);
                } else {
                    if (a.empty() || !a[0].is_string())
                        throw_error("map() needs a filter name or attribute=");
                    ValueList rest(a.begin() + 1, a.end());
                    out.push_back(apply_filter(a[0].as_string(), item, rest, {}));
                }
            }
            return Value::list(std::move(out));
        }
        if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
            const bool by_attr = name == "selectattr" || name == "rejectattr";
            const bool want = name == "select" || name == "selectattr";
            size_t k = 0;
            Value attr;
            if (by_attr) {
                if (a.empty()) throw_error(name + "() needs an attribute name");
                attr = a[k++];
            }
            std::string test;
            if (k < a.size()) {
                if (!a[k].is_string()) throw_error(name + "() test name must be a string");
                test = a[k++].as_string();
            }
            ValueList targs(a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
            ValueList out;
            for (const auto& item : py_iter(v)) {
                Value x = by_attr ? get_item(item, attr) : item;
                bool ok = test.empty() ? x.truthy() : run_test(test, x, targs);
                if (ok == want) out.push_back(item);
            }
            return Value::list(std::move(out));
        }
        throw_error("unknown filter '" + name + "'");
    }

    const Context& ctx_;
    std::unordered_map<std::string, Value> builtins_;
    std::vector<std::unordered_map<std::string, Value>> scopes_;
    std::string out_;
};

std::string located(const std::string& name, int line, int col, const std::string& msg) {
    return (name.empty() ? std::string() : name + ":") + std::to_string(line) + ":" +
           std::to_string(col) + ": " + msg;
}

}  // namespace

Result<Template> Template::parse(const std::string& source, const Options& options,
                                 const std::string& name) {
    try {
        Lexer lexer(source, options);
        Parser parser(lexer.run());
        Template t;
        t.root_ = parser.parse_template();
        t.name_ = name;
        return t;
    } catch (const ParseError& e) {
        return Error{located(name, e.line, e.col, e.message)};
    }
}

Result<std::string> Template::render(const Context& context) const {
    if (!root_) return Error{name_ + ": template was not parsed"};
    try {
        Renderer r(context);
        return r.render(*root_);
    } catch (const LocatedError& e) {
        return Error{located(name_, e.line, e.col, e.message)};
    } catch (const RuntimeError& e) {
        return Error{(name_.empty() ? std::string() : name_ + ": ") + e.message};
    }
}

}  // namespace tb::jinja
