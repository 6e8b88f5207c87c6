// Unit tests of the Jinja2 subset. Expected strings follow jinja2 3.x semantics with HF's
// environment (trim_blocks=True, lstrip_blocks=True) and Python's str()/repr().
#include <gtest/gtest.h>

#include <string>

#include "core/tokenizer/jinja_template.h"

using tb::jinja::Context;
using tb::jinja::Dict;
using tb::jinja::Options;
using tb::jinja::Template;
using tb::jinja::Value;

namespace {

std::string render(const std::string& src, const Context& ctx = {}, const Options& opt = {}) {
    auto t = Template::parse(src, opt);
    if (!t.ok()) return "PARSE ERROR: " + t.error().message;
    auto r = t.value().render(ctx);
    if (!r.ok()) return "RENDER ERROR: " + r.error().message;
    return r.value();
}

std::string error_of(const std::string& src, const Context& ctx = {}) {
    auto t = Template::parse(src);
    if (!t.ok()) return t.error().message;
    auto r = t.value().render(ctx);
    if (!r.ok()) return r.error().message;
    return "NO ERROR: " + r.value();
}

Value msg(const std::string& role, const std::string& content) {
    Dict d;
    d.set("role", Value::string(role));
    d.set("content", Value::string(content));
    return Value::dict(d);
}

}  // namespace

TEST(Jinja, TextAndLiterals) {
    EXPECT_EQ(render("plain text"), "plain text");
    EXPECT_EQ(render("{{ 'a' }}{{ \"b\" }}{{ 'c' 'd' }}"), "abcd");
    EXPECT_EQ(render("{{ 42 }} {{ -7 }} {{ 1_000 }}"), "42 -7 1000");
    EXPECT_EQ(render("{{ none }} {{ None }} {{ true }} {{ False }}"), "None None True False");
    EXPECT_EQ(render("{{ [1, 'a', none, [true]] }}"), "[1, 'a', None, [True]]");
    EXPECT_EQ(render("{{ {'k': 'v', 'n': 2} }}"), "{'k': 'v', 'n': 2}");
    EXPECT_EQ(render("{{ \"it's\" }}|{{ [\"it's\"] }}"), "it's|[\"it's\"]");
}

TEST(Jinja, FloatsPrintLikePython) {
    EXPECT_EQ(render("{{ 1.0 }} {{ 0.1 }} {{ 2.5 }} {{ 1e-5 }} {{ 1e16 }} {{ 123.456 }}"),
              "1.0 0.1 2.5 1e-05 1e+16 123.456");
    EXPECT_EQ(render("{{ 7 / 2 }} {{ 1 / 3 }} {{ 4 / 2 }}"), "3.5 0.3333333333333333 2.0");
}

TEST(Jinja, StringEscapes) {
    EXPECT_EQ(render("{{ 'a\\nb' }}"), "a\nb");
    EXPECT_EQ(render("{{ 'tab\\there' }}"), "tab\there");
    EXPECT_EQ(render("{{ 'back\\\\slash' }}"), "back\\slash");
    EXPECT_EQ(render("{{ 'q\\'s' }}{{ \"d\\\"q\" }}"), "q'sd\"q");
    EXPECT_EQ(render("{{ '\\u00e9\\x41\\U0001F600' }}"),
              "\xC3\xA9"
              "A"
              "\xF0\x9F\x98\x80");
    EXPECT_EQ(render("{{ '\\d' }}"), "\\d");  // unknown escape kept, as Python does
    // A raw newline inside a literal stays a newline (TinyLlama's template relies on it).
    EXPECT_EQ(render("{{ '<|user|>\n' + 'x' }}"), "<|user|>\nx");
}

TEST(Jinja, Arithmetic) {
    EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }}"),
              "7 9 1024 64");  // jinja2's ** is left-associative
    EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }}"),
              "3 -4 1 2 -2");
    EXPECT_EQ(render("{{ 'ab' * 3 }} {{ [1] + [2] }} {{ 1 + 2.5 }} {{ true + 1 }}"),
              "ababab [1, 2] 3.5 2");
    EXPECT_EQ(render("{{ 'a' ~ 1 ~ none ~ true }}"), "a1NoneTrue");
    EXPECT_EQ(render("{{ 'a' ~ undefined_var ~ 'b' }}"), "ab");
    EXPECT_EQ(render("{{ -3 | abs }} {{ - 2 + 5 }}"), "3 3");
}

TEST(Jinja, ComparisonsAndLogic) {
    EXPECT_EQ(render("{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ true == 1 }}"),
              "True False True True");
    EXPECT_EQ(render("{{ 'a' == 'a' }} {{ 'a' != 'b' }} {{ 'b' > 'a' }} {{ [1, 2] < [1, 3] }}"),
              "True True True True");
    EXPECT_EQ(render("{{ 'abc' != false }} {{ false != false }} {{ 0 == false }}"),
              "True False True");
    EXPECT_EQ(render("{{ '' or 'x' }} {{ 0 and 1 }} {{ 'a' and 'b' }} {{ not '' }}"), "x 0 b True");
    EXPECT_EQ(
        render("{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}"),
        "True True True True");
    EXPECT_EQ(render("{{ not 1 == 2 }} {{ not (true and false) }}"), "True True");
}

TEST(Jinja, ConditionalExpression) {
    EXPECT_EQ(render("{{ 'y' if 1 else 'n' }}{{ 'y' if 0 else 'n' }}"), "yn");
    EXPECT_EQ(render("[{{ 'x' if false }}]"), "[]");
    EXPECT_EQ(render("{{ 'a' if false else 'b' if true else 'c' }}"), "b");
}

TEST(Jinja, IfElifElse) {
    const std::string src = "{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %}";
    for (auto [n, want] : {std::pair<int, const char*>{1, "one"}, {2, "two"}, {5, "many"}}) {
        Context ctx{{"n", Value::integer(n)}};
        EXPECT_EQ(render(src, ctx), want);
    }
}

TEST(Jinja, ForLoopVariables) {
    Context ctx{{"xs", Value::list({Value::string("a"), Value::string("b"), Value::string("c")})}};
    EXPECT_EQ(
        render("{% for x in xs %}{{ loop.index0 }}{{ loop.index }}{{ x }}"
               "{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}",
               ctx),
        "01aTrueFalse33|12bFalseFalse32|23cFalseTrue31|");
    EXPECT_EQ(
        render("{% for x in xs %}{{ loop.previtem }}>{{ x }}>{{ loop.nextitem }};{% endfor %}",
               ctx),
        ">a>b;a>b>c;b>c>;");
    EXPECT_EQ(render("{% for x in xs %}{{ loop.cycle('o', 'e') }}{% endfor %}", ctx), "oeo");
    EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
    EXPECT_EQ(render("{% for x in xs if x != 'b' %}{{ x }}{{ loop.length }}{% endfor %}", ctx),
              "a2c2");
    EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"),
              "a=1;b=2;");
    EXPECT_EQ(render("{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}"), "ab");
    EXPECT_EQ(render("{% for c in 'hé' %}[{{ c }}]{% endfor %}"), "[h][\xC3\xA9]");
    EXPECT_EQ(render("{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}"
                     "{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
              "02");
    EXPECT_EQ(render("{% for i in range(2) %}{% for j in range(2) %}{{ loop.index0 }}{% endfor %}"
                     "{{ loop.index0 }};{% endfor %}"),
              "010;011;");
    EXPECT_EQ(render("{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}"), "135");
}

TEST(Jinja, ScopingAndNamespace) {
    // set inside a loop does not leak and does not carry over to the next iteration
    EXPECT_EQ(
        render(
            "{% set n = 0 %}{% for i in range(3) %}{% set n = n + 1 %}{{ n }}{% endfor %}{{ n }}"),
        "1110");
    EXPECT_EQ(render("{% set ns = namespace(n=0, found=false) %}{% for i in range(3) %}"
                     "{% set ns.n = ns.n + 1 %}{% if i == 2 %}{% set ns.found = true %}{% endif %}"
                     "{% endfor %}{{ ns.n }} {{ ns.found }}"),
              "3 True");
    EXPECT_EQ(render("{% if true %}{% set x = 'set in if' %}{% endif %}{{ x }}"), "set in if");
    EXPECT_EQ(render("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
    EXPECT_EQ(render("{% set block %}in {{ 'side' }}{% endset %}[{{ block }}]"), "[in side]");
}

TEST(Jinja, SubscriptsSlicesAttributes) {
    Context ctx{
        {"messages", Value::list({msg("system", "S"), msg("user", "U1"), msg("assistant", "A")})}};
    EXPECT_EQ(
        render("{{ messages[0]['role'] }} {{ messages[1].content }} {{ messages[-1].role }}", ctx),
        "system U1 assistant");
    EXPECT_EQ(render("{% for m in messages[1:] %}{{ m.role }},{% endfor %}", ctx),
              "user,assistant,");
    EXPECT_EQ(render("{{ messages[:1] | length }} {{ messages[::-1][0].role }}", ctx),
              "1 assistant");
    EXPECT_EQ(
        render("{{ 'h\xC3\xA9llo'[1:3] }} {{ 'hello'[-3:] }} {{ 'hello'[::2] }} {{ 'abc'[5:] }}"),
        "\xC3\xA9l llo hlo ");
    EXPECT_EQ(render("[{{ messages[0]['missing'] }}][{{ messages[9] }}]", ctx), "[][]");
    EXPECT_EQ(render("{{ messages[0].get('role') }} {{ messages[0].get('x', 'dflt') }}", ctx),
              "system dflt");
    EXPECT_EQ(
        render("{{ messages[0]['missing'] is defined }} {{ messages[0].role is defined }}", ctx),
        "False True");
}

TEST(Jinja, Filters) {
    EXPECT_EQ(render("[{{ '  a b \n' | trim }}] [{{ 'xxaxx' | trim('x') }}]"), "[a b] [a]");
    EXPECT_EQ(render("{{ 'h\xC3\xA9' | length }} {{ [1, 2, 3] | count }} {{ {'a': 1} | length }}"),
              "2 3 1");
    EXPECT_EQ(render("{{ 'Ab' | upper }} {{ 'Ab' | lower }} {{ 'hello wORLD-x' | title }} "
                     "{{ 'hELLO' | capitalize }}"),
              "AB ab Hello World-X Hello");
    EXPECT_EQ(
        render(
            "{{ missing | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }}"),
        "d  d");
    EXPECT_EQ(render("{{ [1, 'a'] | join(', ') }} {{ ['x', 'y'] | join }} {{ [3, 4] | first }} "
                     "{{ [3, 4] | last }}"),
              "1, a xy 3 4");
    EXPECT_EQ(
        render("{{ 'abc' | list }} {{ 3 | string ~ 'x' }} {{ '42' | int + 1 }} {{ 'x' | int }} "
               "{{ '2.5' | float }}"),
        "['a', 'b', 'c'] 3x 43 0 2.5");
    EXPECT_EQ(render("{{ 'aaa' | replace('a', 'b', 2) }} {{ [1, 2] | reverse | list }} {{ 'ab' | "
                     "reverse }}"),
              "bba [2, 1] ba");
    EXPECT_EQ(render("{{ {'a': [1, 'x\"y'], 'b': none, 'c': true, 'd': 'caf\xC3\xA9'} | tojson }}"),
              "{\"a\": [1, \"x\\\"y\"], \"b\": null, \"c\": true, \"d\": \"caf\xC3\xA9\"}");
    EXPECT_EQ(render("{{ [1, {'k': 2}] | tojson(indent=2) }}"),
              "[\n  1,\n  {\n    \"k\": 2\n  }\n]");
    Context ctx{{"messages", Value::list({msg("system", "S"), msg("user", "U")})}};
    EXPECT_EQ(render("{{ messages | map(attribute='role') | join('/') }}", ctx), "system/user");
    EXPECT_EQ(render("{{ messages | selectattr('role', 'equalto', 'user') | "
                     "map(attribute='content') | list }}",
                     ctx),
              "['U']");
    EXPECT_EQ(render("{{ messages | rejectattr('role', 'eq', 'user') | list | length }}", ctx),
              "1");
    EXPECT_EQ(render("{{ [0, 1, 2, 3] | select('odd') | list }} {{ ['a', ''] | select | list }}"),
              "[1, 3] ['a']");
    // Filters bind tighter than + (jinja2 precedence)
    EXPECT_EQ(render("{{ 'a' + ' b ' | trim + 'c' }}"), "abc");
}

TEST(Jinja, StringMethods) {
    EXPECT_EQ(render("[{{ '  x  '.strip() }}][{{ '  x  '.lstrip() }}][{{ '  x  '.rstrip() }}]"),
              "[x][x  ][  x]");
    EXPECT_EQ(render("{{ '--x--'.strip('-') }} {{ 'hello world'.title() }} {{ 'aBC'.upper() }}"),
              "x Hello World ABC");
    EXPECT_EQ(render("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} "
                     "{{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.endswith('x') }}"),
              "True True True False");
    EXPECT_EQ(
        render("{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }}"),
        "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c']");
    EXPECT_EQ(render("{{ 'a-b-c'.replace('-', '+') }}"), "a+b+c");
    // Python's strip removes Unicode whitespace too (U+3000 ideographic space).
    EXPECT_EQ(render("[{{ '\xE3\x80\x80x\xC2\xA0'.strip() }}]"), "[x]");
}

TEST(Jinja, Tests) {
    EXPECT_EQ(render("{{ x is defined }} {{ x is not defined }} {{ x is undefined }}"),
              "False True True");
    EXPECT_EQ(render("{{ none is none }} {{ 1 is none }} {{ 'a' is string }} {{ 1 is string }}"),
              "True False True False");
    EXPECT_EQ(
        render("{{ 6 is divisibleby 3 }} {{ 7 is divisibleby(3) }} {{ 4 is even }} {{ 3 is odd }}"),
        "True False True True");
    EXPECT_EQ(
        render("{{ {} is mapping }} {{ [] is iterable }} {{ 1 is number }} {{ true is boolean }} "
               "{{ 1 is integer }} {{ 1.5 is float }}"),
        "True True True True True True");
    EXPECT_EQ(render("{{ 2 is in [1, 2] }} {{ 'a' is eq 'a' }} {{ 1 is lt 2 }}"), "True True True");
}

TEST(Jinja, WhitespaceControl) {
    EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
    EXPECT_EQ(render("a \n {{- 'b' -}} \n c"), "abc");
    EXPECT_EQ(render("{% for i in range(3) -%}\n  {{ i }}\n{%- endfor %}"), "012");
}

TEST(Jinja, TrimAndLstripBlocks) {
    // lstrip_blocks removes the indentation before a block tag; trim_blocks the newline after.
    EXPECT_EQ(render("  {% if true %}\n    x\n  {% endif %}\ny"), "    x\ny");
    // Variable tags are not trimmed.
    EXPECT_EQ(render("{{ 'a' }}\nb"), "a\nb");
    // Indentation is only stripped when nothing else precedes the tag on its line.
    EXPECT_EQ(render("x  {% if true %}y{% endif %}"), "x  y");
    // {%+ disables lstrip, +%} disables trim.
    EXPECT_EQ(render("  {%+ if true %}x{% endif %}"), "  x");
    EXPECT_EQ(render("{% if true +%}\nx{% endif %}"), "\nx");
    // Comments follow block rules.
    EXPECT_EQ(render("a{# note #}b"), "ab");
    EXPECT_EQ(render("  {# note #}\nb"), "b");
    // One trailing newline of the source is dropped (keep_trailing_newline=False).
    EXPECT_EQ(render("a\n"), "a");
    EXPECT_EQ(render("a\n\n"), "a\n");
    // \r\n in the source becomes \n.
    EXPECT_EQ(render("a\r\nb"), "a\nb");
    // With both options off the text is kept verbatim.
    Options raw;
    raw.trim_blocks = false;
    raw.lstrip_blocks = false;
    EXPECT_EQ(render("  {% if true %}\nx{% endif %}\n", {}, raw), "  \nx");
}

TEST(Jinja, Globals) {
    EXPECT_EQ(render("{{ range(3) | list }} {{ range(3, 0, -1) | list }}"), "[0, 1, 2] [3, 2, 1]");
    EXPECT_EQ(render("{{ dict(a=1).a }}"), "1");
}

TEST(Jinja, RaiseExceptionNamesLocation) {
    std::string err = error_of("line one\n{{ raise_exception('Roles must alternate') }}");
    EXPECT_NE(err.find("Roles must alternate"), std::string::npos) << err;
    EXPECT_NE(err.find("template:2:"), std::string::npos) << err;
}

TEST(Jinja, ParseErrorsNameLineAndColumn) {
    EXPECT_EQ(error_of("{{ x | frobnicate }}"), "template:1:8: unknown filter 'frobnicate'");
    EXPECT_EQ(error_of("ok\n{% if x is frob %}{% endif %}"), "template:2:12: unknown test 'frob'");
    EXPECT_EQ(error_of("{% macro m() %}{% endmacro %}"), "template:1:4: unsupported tag 'macro'");
    EXPECT_NE(error_of("{% if x %}abc").find("expected 'endif'"), std::string::npos);
    EXPECT_NE(error_of("{% endfor %}").find("template:1:4: unexpected 'endfor'"),
              std::string::npos);
    EXPECT_NE(error_of("{{ 'abc }}").find("unterminated string literal"), std::string::npos);
    EXPECT_NE(error_of("{{ 1 + }}").find("template:1:8: unexpected 'end of tag'"),
              std::string::npos);
    EXPECT_NE(error_of("{% break %}").find("outside of a for loop"), std::string::npos);
    EXPECT_NE(error_of("{{ a $ b }}").find("unexpected character '$'"), std::string::npos);
    EXPECT_NE(error_of("{# open").find("unterminated comment"), std::string::npos);
    EXPECT_NE(error_of("{% for x in y recursive %}{% endfor %}").find("not supported"),
              std::string::npos);
}

TEST(Jinja, IntegerOverflowIsAnErrorNotUndefinedBehaviour) {
    // Python ints are unbounded; ours are int64, so leaving the range must be reported.
    EXPECT_EQ(render("{{ 2 ** 62 }} {{ (-2) ** 63 }} {{ 3 ** 0 }}"),
              "4611686018427387904 -9223372036854775808 1");
    EXPECT_NE(error_of("{{ 2 ** 64 }}").find("integer overflow"), std::string::npos);
    EXPECT_NE(error_of("{{ 9223372036854775807 + 1 }}").find("integer overflow"),
              std::string::npos);
    EXPECT_NE(error_of("{{ -9223372036854775807 - 2 }}").find("integer overflow"),
              std::string::npos);
    EXPECT_NE(error_of("{{ 'ab' * 100000000000 }}").find("too large"), std::string::npos);
    EXPECT_NE(error_of("{{ 1e300 | int }}").find("out of range"), std::string::npos);
    EXPECT_NE(error_of("{{ 99999999999999999999 }}").find("integer literal out of range"),
              std::string::npos);
    EXPECT_EQ(render("{{ [1, 2, 3][::-9223372036854775807] }}"), "[3]");
}

TEST(Jinja, RuntimeErrorsNameLineAndColumn) {
    std::string e1 = error_of("a\n{{ x + 1 }}");
    EXPECT_NE(e1.find("template:2:"), std::string::npos) << e1;
    EXPECT_NE(e1.find("'x' is undefined"), std::string::npos) << e1;
    std::string e2 = error_of("{{ 'a' + 1 }}");
    EXPECT_NE(e2.find("unsupported operand type(s) for +: 'str' and 'int'"), std::string::npos)
        << e2;
    std::string e3 = error_of("{{ missing.attr }}");
    EXPECT_NE(e3.find("'missing' is undefined"), std::string::npos) << e3;
    std::string e4 = error_of("{% for x in 3 %}{% endfor %}");
    EXPECT_NE(e4.find("'int' object is not iterable"), std::string::npos) << e4;
    std::string e5 = error_of("{{ 1 // 0 }}");
    EXPECT_NE(e5.find("division or modulo by zero"), std::string::npos) << e5;
    std::string e6 = error_of("{% set x = 1 %}{% set x.y = 2 %}");
    EXPECT_NE(e6.find("non-namespace"), std::string::npos) << e6;
    std::string e7 = error_of("{{ 'a' < 1 }}");
    EXPECT_NE(e7.find("'<' not supported"), std::string::npos) << e7;
}
