// A small Jinja2 interpreter for chat templates.
//
// Why our own: HF chat templates are Jinja2 source stored in tokenizer_config.json, and the
// prompt a model sees must be byte-identical to what transformers renders (jinja2 with
// trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, the loopcontrols
// extension and the globals raise_exception / namespace / range). No Debian C++ package
// implements Jinja2, so this module covers the language subset chat templates use:
//
//   text, {{ expr }}, {# comment #}, whitespace control {%- -%} {{- -}} and {%+ +%}
//   {% if %}/{% elif %}/{% else %}/{% endif %}
//   {% for x in xs [if cond] %} ... {% else %} ... {% endfor %} (tuple targets, loop.index0,
//     index, revindex, revindex0, first, last, length, previtem, nextitem, cycle())
//   {% set x = e %}, {% set a, b = e %}, {% set ns.attr = e %}, {% set x %}...{% endset %}
//   {% break %}, {% continue %}, {% generation %}...{% endgeneration %} (renders its body)
//   literals (strings with Python escapes, ints, floats, true/false/none, lists, dicts,
//   tuples), + - * / // % ** ~, comparisons, in / not in, and/or/not, `a if c else b`,
//   subscripts, slices, attributes, calls, filters, `is [not] test`.
//   filters: trim length count upper lower title capitalize default(d) join first last list
//     string safe int float abs reverse replace tojson items map select reject selectattr
//     rejectattr; tests: defined undefined none boolean true false integer float number
//     string mapping iterable sequence callable even odd divisibleby eq ne lt le gt ge in
//     sameas lower upper (kFilters / kTests in jinja_template.cpp).
//   string methods: strip lstrip rstrip upper lower title capitalize startswith endswith
//     split replace; dict methods: get items keys values.
//
// Anything else (macros, includes, call blocks, raw blocks, recursive loops, unknown
// filters/tests/tags) is an error that names the template line and column; nothing is
// silently ignored. Known gaps: case mapping (upper/lower/title/capitalize) is ASCII-only;
// tuples print like lists; dict keys must be strings; '%' string formatting is an error.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/common/error.h"
#include "core/tokenizer/jinja_value.h"

namespace tb::jinja {

// Environment switches; the defaults are those of HF transformers' chat-template environment.
struct Options {
    bool trim_blocks = true;             // drop the first newline after a block/comment tag
    bool lstrip_blocks = true;           // drop spaces/tabs before a block tag at line start
    bool keep_trailing_newline = false;  // jinja2 drops one trailing newline of the source
};

using Context = std::map<std::string, Value>;

struct Node;  // parsed template (opaque)

class Template {
  public:
    // Parses `source`. Errors: "<name>:<line>:<column>: <what>" (name may be empty).
    static Result<Template> parse(const std::string& source, const Options& options = {},
                                  const std::string& name = "template");

    // Renders with `context` as the global variables (on top of the built-in globals
    // raise_exception, namespace and range). raise_exception(msg) -> Error whose message ends
    // with msg; runtime errors (undefined attribute, type errors) name line and column.
    Result<std::string> render(const Context& context) const;

  private:
    std::shared_ptr<const Node> root_;
    std::string name_;
};

}  // namespace tb::jinja
