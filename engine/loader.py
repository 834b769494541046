"""Parse and validate ruleset YAML files, keeping every node's position.

`load_file` / `load_directory` return parsed rulesets plus a list of every
problem found (file:line:column, a code, a message and a hint); nothing here
evaluates anything.

A rules file means what the analyst wrote (issue 9). YAML readers differ on
what a plain scalar is, so the loader reads only the unambiguous core and
refuses the rest with a located error and a hint:
- booleans are only true/false (NO, yes, on stay text);
- numbers are only plain decimals (20412, -3, 80.00, 1.5e3), read exactly
  (80.00 is Decimal('80.00'), never a binary float); 010, 0x1F, 1_000, 8:30
  (YAML 1.1 octal, hex, underscores, base 60) and .inf/.nan are errors
  ("quote codes such as '010'");
- a string fact compares only with text, so an unquoted number or date there
  is an error; outcome, code and message are text too;
- anchors, aliases, merge keys (<<) and explicit tags are refused (a 1 KB file
  of nested aliases would otherwise expand to gigabytes: "billion laughs");
  files above MAX_FILE_BYTES and nesting deeper than MAX_DEPTH are refused;
- a key written twice in any mapping (action arguments included) is an error.

Errors an analyst can read (issue 15): a misspelt key is reported once and
read as the key it resembles, so it causes no follow-on errors; a YAML
syntax error is rewritten in plain words with the line shown
(`explain_yaml_error`). Decision tables are checked statically
(engine.tables): gaps, overlaps and subsumed rows, as located errors or
warnings (``load_file(..., warnings=[])``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .actions import ActionVocabulary
from .decision import Action
from .errors import RulesError, did_you_mean as _did_you_mean
from .facts import business_zone, convert, to_business_time
from .pattern import PatternError, compile_pattern
from .tables import ANY, Column, Row as TableRow, check_table, show as show_cell
from .model import (
    FACT_TYPES, HIT_POLICIES, OPERATORS_BY_TYPE, All, Any_, FactSpec, Not, Rule, Ruleset, Test, Then,
)

TOP_KEYS = {"ruleset", "title", "description", "version", "source", "hit_policy", "facts",
            "lists", "parameters", "rules", "table", "default"}
REQUIRED_TOP = ("ruleset", "version", "facts", "default")
FACT_KEYS = {"type", "required", "enum", "description", "normalise"}
RULE_KEYS = {"id", "description", "when", "then"}
TABLE_KEYS = {"id", "description", "hit_policy", "complete", "domains", "inputs", "outputs", "rows"}
ROW_KEYS = {"id", "row", "description"}
TABLE_HIT_POLICIES = ("first", "unique", "collect")
THEN_RESERVED = {"outcome", "code", "message", "actions"}
COMBINATORS = {"all", "any", "not"}
RESERVED_NAMES = COMBINATORS | {"sid", "id"}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ANY_CELL = {"*", "-"}

class YamlLoader(yaml.SafeLoader):
    """YAML with 1.2 booleans: only true/false are booleans; NO, Yes, on, off stay text.

    Under YAML 1.1 (PyYAML's default) `outcome: NO` or `country: NO` would
    silently become False — the classic trap for codes like these.
    """


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))

MAX_FILE_BYTES = 256 * 1024  # the largest ruleset is ~10 KB; PyYAML reads ~1 MB/s
MAX_DEPTH = 40  # nesting of mappings and lists

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)$")
_NONFINITE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
# plain scalars some YAML reader takes for a number (1.1: octal 010, hex, 1_000, base 60 8:30; 1.2: 0o17, .5)
_AMBIGUOUS = re.compile(r"^[-+]?(?:0[0-9_]+(?:\.[0-9_]*)?|0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?"
                        r"|[0-9][0-9_]*(?::[0-9]{1,2})+(?:\.[0-9_]*)?|\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
                        r"|[0-9][0-9_]*\.(?:[eE][-+]?[0-9]+)?)$")


class RulesYamlLoader(YamlLoader):
    """The reader of rules files: the unambiguous core of YAML only (see the module docstring)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(event.start_mark, "yaml_alias", f"alias *{event.anchor} refused",
                           "write the value out in full: anchors and aliases (& and *) are not allowed in rules")
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise _Refused(event.start_mark, "yaml_alias", f"anchor &{event.anchor} refused",
                           "write the value out in full: anchors and aliases (& and *) are not allowed in rules")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _Refused(event.start_mark, "yaml_tag", f"explicit tag {tag} refused",
                           "leave tags out; quote a value to make it text: '010'")
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            raise _Refused(event.start_mark, "too_deep", f"nesting deeper than {MAX_DEPTH} levels",
                           "flatten the condition: combine with any:/all: lists")
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


RulesYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                                                              "tag:yaml.org,2002:merge")]
    for first, resolvers in YamlLoader.yaml_implicit_resolvers.items()
}
RulesYamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
RulesYamlLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789"))
RulesYamlLoader.add_implicit_resolver("tag:yaml.org,2002:float", _NONFINITE, list("-+."))


class _Refused(Exception):
    def __init__(self, mark, code: str, message: str, hint: str):
        self.mark, self.code, self.message, self.hint = mark, code, message, hint


class _Constructor(yaml.constructor.SafeConstructor):
    """Numbers exactly as written: a float literal becomes a Decimal (80.00 -> Decimal('80.00'))."""

    def construct_yaml_float(self, node):
        text = str(node.value).replace("_", "")
        low = text.lower()
        if low.endswith((".inf", ".nan")):
            return Decimal(("-" if low.startswith("-") else "") + ("Infinity" if low.endswith("inf") else "NaN"))
        try:
            return Decimal(text)
        except ArithmeticError:
            return super().construct_yaml_float(node)


_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_yaml_float)

_local = threading.local()


def _value(node: Node) -> Any:
    """Plain Python value of a YAML node (floats as Decimal).

    PyYAML's constructor memoises every node it builds until a document ends;
    we build values node by node, so the memo is emptied after each call (else
    every load keeps all its nodes alive) and kept per thread.
    """
    con = getattr(_local, "constructor", None)
    if con is None:
        con = _local.constructor = _Constructor()
    try:
        return con.construct_object(node, deep=True)
    finally:
        con.constructed_objects.clear()
        con.recursive_objects.clear()


class _FileParser:
    """Validate one ruleset file; collect errors instead of stopping at the first."""

    def __init__(self, path: Path, text: str, actions: ActionVocabulary | None, display: str, zone=None):
        self.path = path
        self.text = text
        self.display = display
        self.actions = actions
        self.zone = business_zone(zone)
        self._places: set[tuple[int, int]] = set()
        self.errors: list[RulesError] = []
        self.warnings: list[RulesError] = []
        self.ruleset_name: str | None = None
        self.rule_id: str | None = None

    # -- error helpers --------------------------------------------------
    def err(self, node: Node | None, code: str, message: str, hint: str = "") -> None:
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        if (line, col) in self._places:
            return  # a scalar refused by check_scalars_and_keys (e.g. 0x1F) is not also "not an integer"
        if code in ("ambiguous_number", "not_finite"):
            self._places.add((line, col))
        self.errors.append(RulesError(self.display, line, col, code, message, hint, self.ruleset_name, self.rule_id))

    def warn(self, node: Node | None, code: str, message: str, hint: str = "") -> None:
        """A finding that does not refuse the file (shown by `ocms rules check`)."""
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        self.warnings.append(RulesError(self.display, line, col, code, message, hint, self.ruleset_name, self.rule_id,
                                        severity="warning"))

    def finding(self, severity: str, node, code: str, message: str, hint: str = "") -> None:
        (self.err if severity == "error" else self.warn)(node, code, message, hint)

    def mapping(self, node: Node, what: str) -> list[tuple[ScalarNode, Node]] | None:
        if not isinstance(node, MappingNode):
            self.err(node, "bad_shape", f"{what} must be a mapping (key: value lines)")
            return None
        seen: set[str] = set()
        pairs = []
        for k, v in node.value:
            key = _value(k) if isinstance(k, ScalarNode) else None
            if not isinstance(key, (str, int)):
                self.err(k, "bad_shape", f"keys of {what} must be plain names")
                continue
            key = str(key)
            if key in seen:  # reported by check_scalars_and_keys
                continue
            seen.add(key)
            pairs.append((k, v))
        return pairs

    def check_scalars_and_keys(self, node: Node) -> None:
        """Every mapping of the file: no key twice. Every plain scalar: no ambiguous or non-finite number."""
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, MappingNode):
                seen: dict[str, Node] = {}
                for k, v in n.value:
                    if isinstance(k, ScalarNode):
                        key = str(k.value)
                        if key == "<<" and k.style is None:
                            self.err(k, "yaml_alias", "merge key << refused", "write the keys out in full")
                        elif key in seen:
                            self.err(k, "duplicate_key", f"key {key!r} appears twice in the same mapping",
                                     f"first at line {seen[key].start_mark.line + 1}; YAML would silently keep only the last")
                        else:
                            seen[key] = k
                    stack.append(v)
                    stack.append(k)
            elif isinstance(n, SequenceNode):
                stack.extend(n.value)
            elif isinstance(n, ScalarNode) and n.style is None:
                text = n.value
                if _AMBIGUOUS.match(text):
                    self.err(n, "ambiguous_number", f"{text} reads as a number to some YAML readers and as text to others",
                             f"quote codes such as '010' (write '{text}'); write numbers without leading zeros, "
                             "underscores or colons, e.g. 10")
                elif _NONFINITE.match(text):
                    self.err(n, "not_finite", f"{text} is not a finite number", f"write a number such as 80.00, or '{text}' in quotes for text")
        # report in file order
        self.errors.sort(key=lambda e: (e.line, e.column))

    def keyed(self, pairs, allowed: set[str], what: str) -> tuple[dict[str, tuple[Node, Node]], set[str]]:
        """The pairs of a mapping by key, each unknown key reported once.

        A typo of an allowed key that the mapping lacks (``wen:`` for
        ``when:``) is read as that key for the rest of the check, so it gives
        its own error and no follow-on ones (no "missing when", no
        unreachable rules). Returns (pairs by key, keys known to be meant but
        unreadable: ``when:{...}`` without the space after the colon).
        """
        d: dict[str, tuple[Node, Node]] = {}
        unknown = []
        for k, v in pairs:
            name = str(_value(k))
            if name in allowed:
                d[name] = (k, v)
            else:
                unknown.append((name, k, v))
        broken: set[str] = set()
        for name, k, v in unknown:
            head, sep, tail = name.partition(":")
            if sep and head.strip() in allowed:
                self.err(k, "missing_space", f"{name!r} in {what}: no space after the colon",
                         f"write '{head.strip()}: {tail.strip()}' - YAML needs a space after a key's colon")
                if _value(v) is None and tail.strip() and head.strip() not in d:  # {type:string}: read as type: string
                    d[head.strip()] = (k, ScalarNode("tag:yaml.org,2002:str", tail.strip(), k.start_mark, k.end_mark))
                else:
                    broken.add(head.strip())
                continue
            close = _close(name, allowed - set(d))
            self.err(k, "unknown_key", f"unknown key {name!r} in {what}",
                     f"allowed keys: {', '.join(sorted(allowed))}" + _did_you_mean(name, allowed)
                     + (f"; checked as {close!r} meanwhile" if close else ""))
            if close:
                d[close] = (k, v)
            else:
                broken.add("")
        return d, broken

    # -- whole file -------------------------------------------------------
    def parse(self) -> Ruleset | None:
        if len(self.text.encode("utf-8")) > MAX_FILE_BYTES:
            self.errors.append(RulesError(self.display, 1, 1, "file_too_large",
                                          f"the file is larger than {MAX_FILE_BYTES // 1024} KB",
                                          "split it into several rulesets"))
            return None
        try:
            root = yaml.compose(self.text, Loader=RulesYamlLoader)
        except _Refused as e:
            self.errors.append(RulesError(self.display, e.mark.line + 1, e.mark.column + 1, e.code, e.message, e.hint))
            return None
        except RecursionError:
            self.errors.append(RulesError(self.display, 1, 1, "too_deep", "the file nests too deeply",
                                          "flatten the condition: combine with any:/all: lists"))
            return None
        except yaml.MarkedYAMLError as e:
            line, col, code, message, hint = explain_yaml_error(e, self.text)
            lines = self.text.splitlines()
            self.errors.append(RulesError(self.display, line, col, code, message, hint,
                                          excerpt=lines[line - 1] if 0 < line <= len(lines) else ""))
            return None
        if root is None:
            self.errors.append(RulesError(self.display, 1, 1, "empty_file", "the file is empty",
                                          "a ruleset file starts with 'ruleset: <name>'"))
            return None
        self.check_scalars_and_keys(root)
        pairs = self.mapping(root, "the ruleset file")
        if pairs is None:
            return None
        top, broken = self.keyed(pairs, TOP_KEYS, "the ruleset file")
        for req in REQUIRED_TOP:
            if req not in top and req not in broken:
                self.err(root, "missing_key", f"the ruleset file has no {req!r}", _TOP_HINTS[req])
        name = self.scalar_str(top["ruleset"][1], "ruleset") if "ruleset" in top else None
        if name is not None and not NAME_RE.match(name):
            self.err(top["ruleset"][1], "bad_name", f"ruleset name {name!r} must be lower_snake_case",
                     "e.g. an_qualification")
        self.ruleset_name = name
        version = self.text_of(top["version"][1], "version") if "version" in top else "0"
        hit = "first"
        if "hit_policy" in top:
            hit = str(_value(top["hit_policy"][1]))
            if hit not in HIT_POLICIES:
                self.err(top["hit_policy"][1], "bad_value", f"hit_policy must be one of {list(HIT_POLICIES)}, got {hit!r}",
                         "first: ordered, the first matching rule wins; collect: every matching rule applies")
        facts = self.parse_facts(top["facts"][1]) if "facts" in top else {}
        lists = self.parse_lists(top["lists"][1]) if "lists" in top else {}
        params, ptypes = self.parse_parameters(top["parameters"][1], facts) if "parameters" in top else ({}, {})
        ctx = _Context(facts, lists, params, ptypes)
        rules: list[Rule] = []
        if "rules" in top:
            rules.extend(self.parse_rules(top["rules"][1], ctx))
        if "table" in top:
            rules.extend(self.parse_table(top["table"][1], ctx, hit))
        if "rules" not in top and "table" not in top and not ({"rules", "table"} & broken):
            self.err(root, "missing_key", "the ruleset has neither 'rules' nor 'table'", "add a rules: list or a table:")
        self.rule_id = None
        default = self.parse_then(top["default"][1], ctx, "default") if "default" in top else Then()
        self.check_duplicates_and_reachability(rules, hit)
        self.errors.sort(key=lambda e: (e.line, e.column))  # file order (stable: same place keeps its order)
        self.warnings.sort(key=lambda e: (e.line, e.column))
        if self.errors or name is None:
            return None
        return Ruleset(
            name=name, version=version, hash=hashlib.sha256(self.text.encode()).hexdigest(), file=self.display,
            hit_policy=hit, facts=facts, rules=rules, default=default,
            title=self.text_of(top["title"][1], "title") if "title" in top else "",
            description=self.text_of(top["description"][1], "description") if "description" in top else "",
            source=self.text_of(top["source"][1], "source") if "source" in top else "",
            lists=lists, parameters=params, parameter_types=ptypes, warnings=list(self.warnings),
        )

    def text_of(self, node: Node, what: str) -> str:
        """A scalar as the text written (version: 1.10 is '1.10', not 1.1)."""
        if not isinstance(node, ScalarNode):
            self.err(node, "bad_value", f"{what} must be a single word or text")
            return ""
        return str(node.value)

    def scalar_str(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or _value(node) is None:
            self.err(node, "bad_value", f"{what} must be a single word or text")
            return None
        return str(_value(node))

    # -- facts, lists, parameters ----------------------------------------
    def parse_facts(self, node: Node) -> dict[str, FactSpec]:
        facts: dict[str, FactSpec] = {}
        pairs = self.mapping(node, "facts")
        for k, v in pairs or []:
            name = str(_value(k))
            if not NAME_RE.match(name) or name in RESERVED_NAMES:
                self.err(k, "bad_name", f"fact name {name!r} must be lower_snake_case and not one of {sorted(RESERVED_NAMES)}",
                         "use the database column name, e.g. vehicle_registration_type")
                continue
            normalise, normaliser = None, None
            if isinstance(v, ScalarNode):  # shorthand: `name: string`
                ftype, required, enum, desc = str(_value(v)), True, None, ""
                tnode = v
            else:
                fp = self.mapping(v, f"fact {name!r}")
                if fp is None:
                    continue
                d, broken = self.keyed(fp, FACT_KEYS, f"fact {name!r}")
                if "type" in broken:
                    continue
                if "type" not in d:
                    self.err(v, "missing_key", f"fact {name!r} has no type", f"add type: one of {', '.join(FACT_TYPES)}")
                    continue
                tnode = d["type"][1]
                ftype = str(_value(tnode))
                required = True
                if "required" in d:
                    required = _value(d["required"][1])
                    if not isinstance(required, bool):
                        self.err(d["required"][1], "bad_value", f"required of fact {name!r} must be true or false")
                        required = True
                if "normalise" in d:
                    normalise, normaliser = self.parse_normalise(name, d["normalise"][1], ftype)
                enum = None
                if "enum" in d:
                    enode = d["enum"][1]
                    if not isinstance(enode, SequenceNode) or not enode.value:
                        self.err(enode, "bad_value", f"enum of fact {name!r} must be a non-empty list")
                    elif ftype in FACT_TYPES:
                        values = []
                        for item in enode.value:
                            ok, val = coerce_value(ftype, _value(item), self.zone)
                            if ok and normaliser is not None and isinstance(val, str) and normaliser(val) != val:
                                self.err(item, "bad_value", f"enum value {item.value!r} of fact {name!r} is not in "
                                         f"normal form: {normalise} makes it {normaliser(val)!r}",
                                         f"write {normaliser(val)!r}")
                            if not ok or val is None:
                                self.err(item, "bad_value_type", f"enum value {item.value!r} of fact {name!r} is not {_a(ftype)}",
                                         f"quote codes such as '010': write '{item.value}'" if ftype == "string"
                                         else _TYPE_EXAMPLES[ftype])
                            else:
                                values.append(val)
                        enum = tuple(values)
                desc = self.text_of(d["description"][1], "description") if "description" in d else ""
            if ftype not in FACT_TYPES:
                self.err(tnode, "bad_type", f"fact {name!r} has unknown type {ftype!r}",
                         f"types: {', '.join(FACT_TYPES)}" + _did_you_mean(ftype, FACT_TYPES))
                continue
            facts[name] = FactSpec(name, ftype, required, enum, desc, normalise, normaliser)
        return facts

    def parse_normalise(self, name: str, node: Node, ftype: str):
        """(name, function) of a fact's ``normalise:``; an error unless the application registered it."""
        key = _value(node) if isinstance(node, ScalarNode) else None
        known = self.actions.normalisers if self.actions is not None else {}
        if not isinstance(key, str) or not key:
            self.err(node, "bad_value", f"normalise of fact {name!r} must be the name of a normaliser",
                     f"normalisers: {', '.join(sorted(known)) or '(none registered)'}")
            return None, None
        if ftype != "string":
            self.err(node, "bad_value", f"normalise applies to string facts; fact {name!r} is {ftype}",
                     "remove normalise, or declare type: string")
            return None, None
        if key not in known:
            self.err(node, "unknown_normaliser", f"unknown normaliser {key!r} on fact {name!r}",
                     (f"normalisers: {', '.join(sorted(known))}" + _did_you_mean(key, known)) if known else
                     "load rules through the application (ocms rules check), which registers its normalisers")
            return None, None
        return key, known[key]

    def parse_lists(self, node: Node) -> dict[str, list]:
        lists: dict[str, list] = {}
        self.list_nodes: dict[str, list[Node]] = {}
        for k, v in self.mapping(node, "lists") or []:
            name = str(_value(k))
            val = _value(v)
            if not isinstance(val, list) or not val:
                self.err(v, "bad_value", f"list {name!r} must be a non-empty YAML list, e.g. [S, D, V, I]")
                continue
            if any(isinstance(x, (list, dict)) for x in val):
                self.err(v, "bad_value", f"list {name!r} must hold plain values only")
                continue
            lists[name] = val
            self.list_nodes[name] = list(v.value)
        return lists

    def parse_parameters(self, node: Node, facts: dict) -> tuple[dict, dict]:
        params, types = {}, {}
        for k, v in self.mapping(node, "parameters") or []:
            name = str(_value(k))
            if not NAME_RE.match(name) or name in RESERVED_NAMES:
                self.err(k, "bad_name", f"parameter name {name!r} must be lower_snake_case")
                continue
            if name in facts:
                self.err(k, "duplicate_name", f"{name!r} is both a fact and a parameter", "rename one of them")
                continue
            val = _value(v)
            ptype = _infer_type(val)
            if ptype is None:
                self.err(v, "bad_value", f"parameter {name!r} must be a single value (text, number, true/false, date)")
                continue
            params[name], types[name] = val, ptype
        return params, types

    # -- rules ------------------------------------------------------------
    def parse_rules(self, node: Node, ctx: "_Context") -> list[Rule]:
        if not isinstance(node, SequenceNode):
            self.err(node, "bad_shape", "rules must be a list, each item starting with '- id: ...'")
            return []
        rules = []
        for item in node.value:
            self.rule_id = None
            pairs = self.mapping(item, "a rule")
            if pairs is None:
                continue
            ids = [(a, b) for a, b in pairs if str(_value(a)) == "id"]
            if ids:
                self.rule_id = self.text_of(ids[0][1], "a rule id") or None
            before = len(self.errors)
            d, broken = self.keyed(pairs, RULE_KEYS, "a rule")
            if "id" not in d and "id" not in broken:
                self.err(item, "missing_key", "a rule has no id", "give it the business-rule id of the spec, e.g. id: BR-AN-GATE-001")
            if "id" in d and not ids:  # a misspelt id key, read as id
                self.rule_id = self.text_of(d["id"][1], "a rule id") or None
            if "then" not in d and "then" not in broken:
                self.err(item, "missing_key", "the rule has no 'then'", "add then: {outcome: ...}")
            when = self.parse_condition(d["when"][1], ctx) if "when" in d and _value(d["when"][1]) not in (None, {}) else None
            if when is None and len(self.errors) > before:
                when = _INVALID  # not "always": a broken condition (or key) must not make later rules look unreachable
            then = self.parse_then(d["then"][1], ctx, "then") if "then" in d else Then()
            desc = str(_value(d["description"][1])) if "description" in d else ""
            if self.rule_id:
                rules.append(Rule(self.rule_id, when, then, desc, item.start_mark.line + 1, item.start_mark.column + 1))
        return rules

    def parse_table(self, node: Node, ctx: "_Context", ruleset_hit: str = "first") -> list[Rule]:
        pairs = self.mapping(node, "table")
        if pairs is None:
            return []
        first_error = len(self.errors)
        d, broken = self.keyed(pairs, TABLE_KEYS, "table")
        for req in ("id", "inputs", "outputs", "rows"):
            if req not in d and req not in broken:
                self.err(node, "missing_key", f"the table has no {req!r}",
                         "a table has id (rule-id prefix), inputs (fact columns), outputs (outcome/code/message/fields) and rows")
        if any(r not in d for r in ("id", "inputs", "outputs", "rows")):
            return []
        prefix = self.text_of(d["id"][1], "the table id")
        inputs = _value(d["inputs"][1])
        outputs = _value(d["outputs"][1])
        if not isinstance(inputs, list) or not isinstance(outputs, list) or not inputs or not outputs:
            self.err(node, "bad_shape", "table inputs and outputs must be non-empty lists of column names")
            return []
        for col in inputs:
            if col not in ctx.facts and col not in ctx.params:
                self.err(d["inputs"][1], "undeclared_fact", f"table input column {col!r} is not a declared fact",
                         f"declare it under facts:{_did_you_mean(str(col), ctx.facts)}")
        table_hit = self.table_hit_policy(d.get("hit_policy"), ruleset_hit)
        complete = None
        if "complete" in d:
            complete = _value(d["complete"][1])
            if not isinstance(complete, bool):
                self.err(d["complete"][1], "bad_value", "complete must be true or false",
                         "true: a gap is an error; false: the default answers what no row covers (no gap check)")
                complete = None
        domains = self.parse_domains(d["domains"][1], inputs, ctx) if "domains" in d else {}
        rows_node = d["rows"][1]
        if not isinstance(rows_node, SequenceNode):
            self.err(rows_node, "bad_shape", "table rows must be a list")
            return []
        rules = []
        table_rows: list[tuple[Rule, list, Node]] = []
        for n, row in enumerate(rows_node.value, start=1):
            rid = f"{prefix}-{n}"
            cells_node = row
            if isinstance(row, MappingNode):
                rp, rbroken = self.keyed(self.mapping(row, "a table row") or [], ROW_KEYS, "a table row")
                if "id" in rp:
                    rid = self.text_of(rp["id"][1], "a row id") or rid
                if "row" in rbroken:
                    continue
                if "row" not in rp:
                    self.err(row, "missing_key", "a table row mapping needs 'row: [cells...]'")
                    continue
                cells_node = rp["row"][1]
            self.rule_id = rid
            if not isinstance(cells_node, SequenceNode) or len(cells_node.value) != len(inputs) + len(outputs):
                self.err(cells_node, "bad_shape",
                         f"table row must have {len(inputs) + len(outputs)} cells ({len(inputs)} inputs then {len(outputs)} outputs)",
                         f"columns: {', '.join(map(str, inputs + outputs))}; use '*' for 'any value'")
                continue
            before = len(self.errors)
            tests = []
            cells: list = []
            for col, cell in zip(inputs, cells_node.value[:len(inputs)]):
                if isinstance(cell, ScalarNode) and _value(cell) in ANY_CELL:
                    cells.append(None)
                    continue
                if isinstance(cell, SequenceNode):
                    t = self.parse_test(str(col), cell, ctx, as_in=True)
                else:
                    t = self.parse_test(str(col), cell, ctx)
                cells.append(t)
                if t is not None:
                    tests.append(t)
            out: dict[str, Any] = {}
            out_nodes: dict[str, Node] = {}
            for col, cell in zip(outputs, cells_node.value[len(inputs):]):
                out[str(col)] = _value(cell)
                out_nodes[str(col)] = cell
            then = self.then_from_dict(out, out_nodes, cells_node, ctx)
            when = None if not tests else (tests[0] if len(tests) == 1 else All(tuple(tests)))
            if when is None and len(self.errors) > before:
                when = _INVALID
            rules.append(Rule(rid, when, then, "", row.start_mark.line + 1, row.start_mark.column + 1))
            table_rows.append((rules[-1], cells, row))
        if len(self.errors) == first_error:  # a broken table gives its own errors, not follow-on findings
            self.check_table_statically(prefix, [str(c) for c in inputs], table_rows, ctx, domains, table_hit,
                                        complete, d["rows"][0])
        self.rule_id = None
        return rules

    def table_hit_policy(self, pair, ruleset_hit: str) -> str:
        """The table's hit policy: first or collect (as its ruleset), or unique (overlapping rows are errors)."""
        if pair is None:
            return ruleset_hit
        hit = str(_value(pair[1]))
        if hit not in TABLE_HIT_POLICIES:
            self.err(pair[1], "bad_value", f"a table's hit_policy must be first or unique, got {hit!r}",
                     "first: rows are tried in order, the first that matches wins; unique: at most one row may "
                     "match any input (overlapping rows are errors)" + _did_you_mean(hit, TABLE_HIT_POLICIES))
            return ruleset_hit
        if hit != "unique" and hit != ruleset_hit:
            self.err(pair[1], "bad_value", f"the table's hit_policy {hit!r} differs from the ruleset's {ruleset_hit!r}",
                     f"leave it out (the table follows the ruleset) or write unique")
            return ruleset_hit
        return hit

    def parse_domains(self, node: Node, inputs: list, ctx: "_Context") -> dict[str, tuple]:
        """domains: {column: list name or [values]} - the values an input column can take."""
        out: dict[str, tuple] = {}
        for k, v in self.mapping(node, "domains") or []:
            col = str(_value(k))
            if col not in inputs:
                self.err(k, "unknown_column", f"domains names {col!r}, which is not an input column of the table",
                         f"input columns: {', '.join(map(str, inputs))}" + _did_you_mean(col, [str(i) for i in inputs]))
                continue
            ftype = ctx.type_of(col)
            if ftype is None:
                continue
            raw = _value(v)
            if isinstance(raw, str):
                if raw not in ctx.lists:
                    self.err(v, "unknown_list", f"the domain of {col!r} names list {raw!r}, which is not defined",
                             "define it under lists: or write the values inline" + _did_you_mean(raw, ctx.lists))
                    continue
                values, nodes = ctx.lists[raw], getattr(self, "list_nodes", {}).get(raw) or [v] * len(ctx.lists[raw])
            elif isinstance(raw, list) and raw:
                values, nodes = raw, list(v.value)
            else:
                self.err(v, "bad_value", f"the domain of {col!r} must be a list name or a non-empty list of values")
                continue
            coerced = [self.coerce(col, ftype, x, n, ctx) for x, n in zip(values, nodes)]
            if any(c is _BAD or c is None for c in coerced):
                continue
            out[col] = tuple(dict.fromkeys(coerced))
        return out

    def check_table_statically(self, prefix: str, inputs: list[str], table_rows, ctx: "_Context",
                               domains: dict, hit: str, complete, rows_key: Node) -> None:
        """Gaps, overlaps and subsumed rows of a table (engine.tables), as located findings.

        Severity: a subsumed or never-matching row is an error (it can never
        fire); an overlap is an error under hit_policy unique, else a
        warning; a gap is a warning, an error with complete: true, not
        checked with complete: false.
        """
        from .compiler import CompileError, normalise
        columns = []
        for col in inputs:
            spec = ctx.facts.get(col)
            ftype = ctx.type_of(col)
            domain = domains.get(col) or (spec.enum if spec is not None and spec.enum else None)
            columns.append(Column(col, ftype, optional=spec is not None and not spec.required, domain=domain))
        rows = []
        try:
            for rule, cells, _ in table_rows:
                rows.append(TableRow(rule.id, tuple(normalise(c) for c in cells),
                                     json.dumps(rule.then.to_dict(), sort_keys=True, default=str)))
        except CompileError:
            return  # reported by the compiler
        before = len(self.errors)
        for (rule, cells, node) in table_rows:  # a value outside a declared domain is a typo or a missing domain value
            for col, cell in zip(columns, cells):
                if cell is None or col.name not in domains:
                    continue
                for leaf in _leaf_values(cell):
                    if leaf not in col.domain:
                        self.rule_id = rule.id
                        self.err(node, "not_in_domain", f"{show_cell(leaf)!r} is not in the domain of {col.name!r}",
                                 f"domain: {', '.join(map(show_cell, col.domain))}"
                                 + _did_you_mean(str(leaf), [str(x) for x in col.domain]))
        if len(self.errors) > before:
            return  # the typo is the finding; its row would only show up again as a gap
        result = check_table(columns, rows, hit, complete)
        by_index = [r for r, _, _ in table_rows]
        nodes = [n for _, _, n in table_rows]
        for f in result.findings:
            if f.kind == "gap":
                self.rule_id = None
                more = f" (and {f.count - len(f.examples)} more)" if f.count > len(f.examples) else ""
                shown = "; ".join(_combo(e) for e in f.examples)
                self.finding("error" if complete else "warning", rows_key, "table_gap",
                             f"table {prefix}: no row covers {shown}{more}",
                             "add a row for these inputs, or a last row with '*' in every input column; if the "
                             "ruleset's default is meant to answer them, write complete: false in the table")
            elif f.kind == "overlap":
                j, i = f.rows
                self.rule_id = by_index[i].id
                self.finding("error" if hit == "unique" else "warning", nodes[i], "table_overlap",
                             f"rows {by_index[j].id} (line {by_index[j].line}) and {by_index[i].id} both match "
                             f"{_combo(f.examples[0])} with different outcomes",
                             "hit policy unique: at most one row may match any input; make the rows exclusive"
                             if hit == "unique" else
                             f"{by_index[j].id} wins (the first matching row); make the rows exclusive, or write the "
                             "narrower row first")
            elif f.kind == "subsumed":
                i, *earlier = f.rows
                self.rule_id = by_index[i].id
                names = ", ".join(f"{by_index[j].id} (line {by_index[j].line})" for j in earlier)
                self.err(nodes[i], "subsumed_row", f"row {by_index[i].id} can never fire: every input it matches "
                         f"is matched by earlier row{'s' if len(earlier) > 1 else ''} {names}",
                         "remove it, move it above the rows that cover it, or narrow them")
            elif f.kind == "never_matches":
                (i,) = f.rows
                self.rule_id = by_index[i].id
                self.err(nodes[i], "row_never_matches", f"row {by_index[i].id} matches no input at all",
                         "a cell contradicts itself (e.g. {gt: 5, lt: 3}) or names no value of the column's domain")
        self.rule_id = None

    def check_duplicates_and_reachability(self, rules: list[Rule], hit: str) -> None:
        seen: dict[str, Rule] = {}
        unconditional: Rule | None = None
        for r in rules:
            self.rule_id = r.id
            node = _FakeNode(r.line, r.column)
            if r.id in seen:
                self.err(node, "duplicate_rule_id", f"rule id {r.id!r} is used twice",
                         f"first used at line {seen[r.id].line}; every rule needs its own id")
            seen.setdefault(r.id, r)
            if hit == "first" and unconditional is not None:
                self.err(node, "unreachable_rule", f"rule {r.id!r} can never fire",
                         f"rule {unconditional.id!r} (line {unconditional.line}) has no condition and always wins first; "
                         "move it last or give it a 'when'")
            if r.when is None and unconditional is None:
                unconditional = r
        self.rule_id = None

    # -- conditions -------------------------------------------------------
    def parse_condition(self, node: Node, ctx: "_Context"):
        if isinstance(node, SequenceNode):
            items = [c for c in (self.parse_condition(n, ctx) for n in node.value) if c is not None]
            return All(tuple(items)) if items else None
        pairs = self.mapping(node, "a condition")
        if pairs is None:
            return None
        items = []
        for k, v in pairs:
            key = str(_value(k))
            if key in ("all", "any"):
                if not isinstance(v, SequenceNode) or not v.value:
                    self.err(v, "bad_shape", f"{key} needs a non-empty list of conditions",
                             f"e.g. {key}: [{{fact_a: X}}, {{fact_b: {{gt: 3}}}}]")
                    continue
                subs = [self.parse_condition(n, ctx) for n in v.value]
                subs = [s for s in subs if s is not None]
                if subs:
                    items.append(All(tuple(subs)) if key == "all" else Any_(tuple(subs)))
            elif key == "not":
                sub = self.parse_condition(v, ctx)
                if sub is not None:
                    items.append(Not(sub))
            else:
                t = self.parse_test(key, v, ctx, key_node=k)
                if t is not None:
                    items.append(t)
        if not items:
            return None
        return items[0] if len(items) == 1 else All(tuple(items))

    def parse_test(self, fieldname: str, node: Node, ctx: "_Context", key_node: Node | None = None, as_in: bool = False):
        ftype = ctx.type_of(fieldname)
        if ftype is None:
            self.err(key_node or node, "undeclared_fact", f"condition uses {fieldname!r}, which is not a declared fact or parameter",
                     "declare it under facts: (with its type)" + _did_you_mean(fieldname, list(ctx.facts) + list(ctx.params)))
            return None
        if as_in:
            return self.make_test(fieldname, ftype, "in", node, ctx)
        if isinstance(node, ScalarNode):
            if _value(node) is None:
                return Test(fieldname, "absent", None, node.start_mark.line + 1, node.start_mark.column + 1)
            return self.make_test(fieldname, ftype, "equals", node, ctx)
        if isinstance(node, SequenceNode):
            self.err(node, "bad_shape", f"a list is not a test for {fieldname!r}", f"write {fieldname}: {{in: [...]}}")
            return None
        pairs = self.mapping(node, f"the test on {fieldname!r}")
        if pairs is None:
            return None
        tests = []
        for k, v in pairs:
            op = str(_value(k))
            if op == "not" and isinstance(v, MappingNode):
                inner = self.parse_test(fieldname, v, ctx)
                if inner is not None:
                    tests.append(Not(inner))
                continue
            t = self.make_test(fieldname, ftype, op, v, ctx, op_node=k)
            if t is not None:
                tests.append(t)
        if not tests:
            return None
        return tests[0] if len(tests) == 1 else All(tuple(tests))

    def make_test(self, fieldname: str, ftype: str, op: str, vnode: Node, ctx: "_Context", op_node: Node | None = None):
        at = op_node or vnode
        allowed = OPERATORS_BY_TYPE[ftype]
        known = set().union(*OPERATORS_BY_TYPE.values())
        if op not in known:
            self.err(at, "unknown_operator", f"unknown operator {op!r} on {fieldname!r}",
                     f"operators: {', '.join(sorted(known))}" + _did_you_mean(op, known))
            return None
        if op not in allowed:
            self.err(at, "bad_operator_for_type", f"operator {op!r} does not apply to {fieldname!r}, {_a(ftype)}",
                     f"operators for {ftype}: {', '.join(sorted(allowed))}")
            return None
        line, col = at.start_mark.line + 1, at.start_mark.column + 1
        raw = _value(vnode)
        if op in ("present", "absent"):
            if raw is not True:
                self.err(vnode, "bad_value", f"{op} takes 'true', e.g. {fieldname}: {{{op}: true}}")
                return None
            return Test(fieldname, op, None, line, col)
        if op in ("in", "not_in"):
            if isinstance(raw, str):
                if raw not in ctx.lists:
                    self.err(vnode, "unknown_list", f"{op} names list {raw!r}, which is not defined",
                             "define it under lists: or write the values inline" + _did_you_mean(raw, ctx.lists))
                    return None
                values = ctx.lists[raw]
                nodes = getattr(self, "list_nodes", {}).get(raw) or [vnode] * len(values)
            elif isinstance(raw, list) and raw:
                values = raw
                nodes = list(vnode.value)
            else:
                self.err(vnode, "bad_value", f"{op} needs a non-empty list or the name of a list under lists:")
                return None
            coerced = [self.coerce(fieldname, ftype, v, n, ctx) for v, n in zip(values, nodes)]
            if any(c is _BAD for c in coerced):
                return None
            return Test(fieldname, op, tuple(coerced), line, col, list_name=raw if isinstance(raw, str) else None)
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                self.err(vnode, "bad_value", "between needs two values [low, high] (both included)")
                return None
            lo, hi = (self.coerce(fieldname, ftype, v, n, ctx) for v, n in zip(raw, vnode.value))
            if _BAD in (lo, hi):
                return None
            if lo > hi:
                self.err(vnode, "bad_value", f"between [{raw[0]}, {raw[1]}]: the low value is above the high one")
                return None
            names = tuple(_param_name(x) for x in raw)
            return Test(fieldname, op, (lo, hi), line, col, param=names if any(names) else None)
        if op == "matches":
            if not isinstance(raw, str):
                self.err(vnode, "bad_value", "matches needs a regular expression in quotes")
                return None
            try:
                compile_pattern(raw)
            except PatternError as e:
                self.err(vnode, "bad_regex", f"pattern {raw!r} uses {e.message}, which the engine does not support",
                         e.hint or "the dialect: characters, ., [classes], ( | ), ? * + {m,n}")
                return None
            try:
                re.compile(raw)
            except re.error as e:
                self.err(vnode, "bad_regex", f"bad regular expression {raw!r}: {e}")
                return None
            return Test(fieldname, op, raw, line, col)
        v = self.coerce(fieldname, ftype, raw, vnode, ctx)
        if v is _BAD:
            return None
        return Test(fieldname, op, v, line, col, param=_param_name(raw))

    def coerce(self, fieldname: str, ftype: str, raw: Any, node: Node, ctx: "_Context"):
        """Check a literal against the fact's type (and enum); resolve {param: name}."""
        if isinstance(raw, dict) and set(raw) == {"param"}:
            pname = raw["param"]
            if pname not in ctx.params:
                self.err(node, "unknown_parameter", f"parameter {pname!r} is not defined",
                         "define it under parameters:" + _did_you_mean(str(pname), ctx.params))
                return _BAD
            raw = ctx.params[pname]
        ok, val = coerce_value(ftype, raw, self.zone)
        if not ok:
            shown = node.value if isinstance(node, ScalarNode) else raw
            hint = _TYPE_EXAMPLES[ftype]
            if ftype == "string" and isinstance(node, ScalarNode) and node.style is None:
                hint = f"quote codes such as '010': write '{node.value}'"
            self.err(node, "bad_value_type", f"{fieldname!r} is {_a(ftype)}; {shown!r} is not", hint)
            return _BAD
        spec = ctx.facts.get(fieldname)
        if spec is not None and spec.enum and val not in spec.enum:
            self.err(node, "enum_value", f"{val!r} is not a value of {fieldname!r}",
                     f"allowed: {', '.join(map(str, spec.enum))}" + _did_you_mean(str(val), [str(e) for e in spec.enum]))
            return _BAD
        return val

    # -- outcomes -----------------------------------------------------------
    def parse_then(self, node: Node, ctx: "_Context", what: str) -> Then:
        pairs = self.mapping(node, what)
        if pairs is None:
            return Then()
        out = {str(_value(k)): _value(v) for k, v in pairs}
        nodes = {str(_value(k)): v for k, v in pairs}
        return self.then_from_dict(out, nodes, node, ctx)

    def then_from_dict(self, out: dict, nodes: dict, node: Node, ctx: "_Context") -> Then:
        actions: list[Action] = []
        if "actions" in out:
            anode = nodes["actions"]
            if not isinstance(anode, SequenceNode):
                if _value(anode) not in (None, []):
                    self.err(anode, "bad_shape", "actions must be a list like [{suspend: {suspension_type: PS}}]")
            else:
                for item in anode.value:
                    actions.extend(self.parse_action(item))
        for key in ("outcome", "code", "message"):
            if key in out and out[key] is not None and not isinstance(out[key], str):
                shown = nodes[key].value if isinstance(nodes[key], ScalarNode) else out[key]
                self.err(nodes[key], "bad_value", f"{key} must be text; {shown!r} is not",
                         f"quote codes such as '010': write {key}: '{shown}'")
        outputs = {k: _plain(v) for k, v in out.items() if k not in THEN_RESERVED}
        for k in outputs:
            if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", k):
                self.err(nodes[k], "bad_name", f"output name {k!r} must be a plain name")
        s = lambda k: None if out.get(k) is None else str(out[k])  # noqa: E731
        return Then(s("outcome"), s("code"), s("message"), outputs, tuple(actions))

    def parse_action(self, item: Node) -> list[Action]:
        if isinstance(item, ScalarNode):
            name, args, argnode = str(_value(item)), {}, item
        else:
            pairs = self.mapping(item, "an action")
            if not pairs or len(pairs) != 1:
                self.err(item, "bad_shape", "each action is one 'name: {arguments}' entry")
                return []
            k, v = pairs[0]
            name, args, argnode = str(_value(k)), _value(v), v
            if args is None:
                args = {}
            if not isinstance(args, dict):
                self.err(v, "bad_action_argument", f"arguments of action {name!r} must be a mapping")
                return []
        if self.actions is None:
            self.err(item, "unknown_action", f"action {name!r} used, but no actions are registered",
                     "load rules through the application (ocms rules check), which registers its actions")
            return []
        args = _plain(args)
        problems = self.actions.check(name, args)
        for arg, msg, hint in problems:
            code = "unknown_action" if arg is None else "bad_action_argument"
            self.err(item if arg is None else argnode, code, msg, hint)
        return [] if problems else [Action(name, args)]


def _param_name(raw: Any) -> str | None:
    """The parameter a value is written as (``{param: name}``), else None."""
    return str(raw["param"]) if isinstance(raw, dict) and set(raw) == {"param"} else None


class _FakeNode:
    """Stands in for a YAML node when only a position is known."""

    class _Mark:
        def __init__(self, line, column):
            self.line, self.column = line - 1, column - 1

    def __init__(self, line: int, column: int):
        self.start_mark = self._Mark(line, column)


class _Context:
    def __init__(self, facts, lists, params, ptypes):
        self.facts, self.lists, self.params, self.ptypes = facts, lists, params, ptypes

    def type_of(self, name: str) -> str | None:
        if name in self.facts:
            return self.facts[name].type
        return self.ptypes.get(name)


class _Bad:
    def __repr__(self):
        return "<bad>"


_BAD = _Bad()
_INVALID = All(("<invalid condition>",))

_TOP_HINTS = {
    "ruleset": "start the file with 'ruleset: <name>' (lower_snake_case)",
    "version": "add 'version: 1.0.0' and bump it on every change",
    "facts": "declare the inputs under facts:, e.g. offence_notice_type: {type: string}",
    "default": "add default: {outcome: ...} for when no rule matches",
}
_TYPE_EXAMPLES = {
    "string": "write text, in quotes if it looks like a number: '080'",
    "integer": "write a whole number, e.g. 20412",
    "decimal": "write a number, e.g. 80.00",
    "boolean": "write true or false",
    "date": "write a date as YYYY-MM-DD",
    "datetime": "write a date-time as 'YYYY-MM-DDTHH:MM:SS'",
}


def explain_yaml_error(e: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str, str, str]:
    """A PyYAML error in plain words -> (line, column, code, message, hint).

    PyYAML says what its parser expected ("expected <block end>, but found
    '?'"); an analyst needs what is wrong with the line and how to fix it.
    Covers bad indentation, tab characters, unclosed quotes and brackets, a
    key without its colon, ': ' inside unquoted text and '*' / '&' / '@'
    starting a value; anything else keeps PyYAML's words after "YAML syntax
    error". (Duplicate keys are found after parsing: code duplicate_key.)
    """
    mark = e.problem_mark or e.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = text.splitlines()
    ctx = e.context_mark
    cline, ccol = (ctx.line + 1, ctx.column + 1) if ctx else (line, col)
    problem, context = str(e.problem or ""), str(e.context or "")
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if "'\t'" in problem or (0 < line <= len(lines) and "\t" in here[:col]):
        return line, col, "yaml_tab", f"line {line}: a tab character; YAML indentation must be spaces", \
            "replace the tab with spaces (set your editor to insert spaces for the Tab key)"
    if problem.startswith("expected <block end>") or (problem.startswith("expected ") and "block" in context):
        above = _previous_line(lines, line - 1)
        indent = len(here) - len(here.lstrip(" "))
        detail = ""
        if above is not None:
            a_indent = len(lines[above]) - len(lines[above].lstrip(" "))
            detail = f" (it starts at column {indent + 1}, line {above + 1} at column {a_indent + 1})"
        return line, col, "yaml_indentation", \
            f"line {line}: this line is indented differently from the lines above it{detail}", \
            (f"keys of one mapping (and the '-' items of one list) start in the same column: line it up with "
             f"the block that begins at line {cline}; indent with spaces only")
    if "mapping values are not allowed" in problem:
        return line, col, "yaml_colon_in_text", \
            f"line {line}: a second ': ' on this line, which YAML reads as another key", \
            "put text that contains ': ' in quotes, e.g. message: \"Note: paid\"; or, if this is a new key, "\
            "start it on its own line, indented like the keys above"
    if "could not find expected ':'" in problem:
        return cline, ccol, "yaml_missing_colon", f"line {cline}: a key without ':' after it", \
            "write 'key: value' - a colon right after the key, then a space"
    if "quoted scalar" in context:
        q = lines[cline - 1][ccol - 1] if 0 < cline <= len(lines) and len(lines[cline - 1]) >= ccol else "'"
        if "escape" in problem:
            return line, col, "yaml_escape", f"line {line}: a backslash in double quotes starts an escape YAML does not know", \
                "write patterns and paths in single quotes: '...'"
        return cline, ccol, "yaml_unclosed_quote", f"line {cline}: the quote {q} opened here is never closed", \
            f"add the closing {q} on the same line"
    if "flow mapping" in context or "flow sequence" in context:
        opener, closer = ("{", "}") if "mapping" in context else ("[", "]")
        if line != cline and "':'" in problem or "end of stream" in problem or (line != cline and "','" in problem):
            return cline, ccol, "yaml_unclosed_bracket", f"line {cline}: the '{opener}' opened here is not closed", \
                f"add '{closer}' where the {'mapping' if opener == '{' else 'list'} ends, on line {cline}"
        if "':'" in problem:
            return line, col, "yaml_colon_in_text", \
                f"line {line}: ':' inside {opener} {closer} where a ',' or '{closer}' was expected", \
                "put text that contains ': ' in quotes, e.g. {message: \"Note: paid\"}; separate entries with ', '"
        got = problem.rsplit("but got ", 1)[-1]
        if got in ("'}'", "']'"):
            return line, col, "yaml_unclosed_bracket", \
                f"line {line}: {got} closes a bracket, but the '{opener}' opened at column {ccol} is still open", \
                f"add '{closer}' before {got}"
        return line, col, "yaml_syntax", f"line {line}: something follows a value inside {opener} {closer} without a ','", \
            "separate entries with ', '; put text with spaces or quotes inside it in quotes"
    if "alias" in context or "anchor" in context:
        ch = here[col - 2] if 1 < col <= len(here) + 1 else "*"
        return cline, ccol, "yaml_syntax", f"line {cline}: a value starting with '{ch}' is YAML syntax (an alias or anchor)", \
            f"put it in quotes: \"{ch}\" (a table's any-value cell is written \"*\")"
    m = re.search(r"found character '(.)' that cannot start any token", problem)
    if m:
        return line, col, "yaml_syntax", f"line {line}: a value cannot start with '{m.group(1)}' unquoted", \
            f"put the value in quotes: '{m.group(1)}...'"
    return line, col, "yaml_syntax", f"line {line}: YAML syntax error: {problem or e}", \
        "check the indentation and that every 'key: value' has a space after the colon"


def _previous_line(lines: list[str], index: int) -> int | None:
    """The index of the nearest line above ``index`` with content (not blank, not a comment)."""
    for i in range(index - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i
    return None


def _close(word: str, options) -> str | None:
    import difflib
    close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return close[0] if close else None


def _leaf_values(cond) -> list:
    """The constants a written cell compares with (equals / in / not_in / not)."""
    if isinstance(cond, Test):
        if cond.op in ("equals", "not"):
            return [cond.value]
        if cond.op in ("in", "not_in"):
            return list(cond.value)
        return []
    if isinstance(cond, Not):
        return _leaf_values(cond.item)
    if isinstance(cond, (All, Any_)):
        return [v for i in cond.items for v in _leaf_values(i)]
    return []


def _combo(example: dict) -> str:
    """An input combination as an analyst reads it: processing_stage=RD1, offender_role=any other value."""
    parts = [f"{k}={show_cell(v)}" for k, v in example.items() if v is not ANY]
    return ", ".join(parts) if parts else "any input"


def _plain(v: Any) -> Any:
    """Outputs and action arguments as the application has always had them: numbers as int/float."""
    if isinstance(v, Decimal):
        return float(v) if v.is_finite() else v
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _infer_type(v: Any) -> str | None:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, (float, Decimal)):
        return "decimal"
    if isinstance(v, dt.datetime):
        return "datetime"
    if isinstance(v, dt.date):
        return "date"
    if isinstance(v, str):
        return "string"
    return None


def coerce_value(ftype: str, raw: Any, zone=None) -> tuple[bool, Any]:
    """A literal of a rules file as a fact type's typed value; (False, None) when it does not fit.

    Strict: text only for strings, whole numbers for integers, finite exact
    decimals, true/false for booleans, YYYY-MM-DD for dates; a datetime with
    an offset is converted to the business time zone ``zone``.
    """
    if raw is None:
        return True, None
    if ftype == "string":
        return (True, raw) if isinstance(raw, str) else (False, None)
    if ftype == "integer":
        if isinstance(raw, bool):
            return False, None
        if isinstance(raw, int):
            return True, raw
        if isinstance(raw, str) and re.fullmatch(r"-?[0-9]+", raw):
            return True, int(raw)
        if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
            return True, int(raw)
        return False, None
    if ftype == "decimal":
        if isinstance(raw, bool):
            return False, None
        if isinstance(raw, Decimal):
            return (True, raw) if raw.is_finite() else (False, None)
    if ftype == "datetime" and isinstance(raw, dt.date):
        if isinstance(raw, dt.datetime):
            return True, to_business_time(raw, zone or business_zone())
        return True, dt.datetime(raw.year, raw.month, raw.day)
    ok, val, _ = convert(ftype, raw, zone)
    return ok, val


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def load_file(path: str | Path, actions: ActionVocabulary | None = None, display: str | None = None,
              timezone: str | None = None, warnings: list | None = None) -> tuple[Ruleset | None, list[RulesError]]:
    """Parse and validate one ruleset file -> (Ruleset or None, every located RulesError).

    ``timezone``: business zone for datetime literals with an offset (default Asia/Singapore).
    ``warnings``: a list that receives the findings that do not refuse the file
    (RulesError with severity "warning": table gaps and overlaps, issue 15);
    a loaded Ruleset also keeps them in ``Ruleset.warnings``.
    """
    path = Path(path)
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, [RulesError(shown, 1, 1, "unreadable", f"cannot read the file: {e}")]
    p = _FileParser(path, text, actions, shown, timezone)
    rs = p.parse()
    if warnings is not None:
        warnings.extend(p.warnings)
    return rs, p.errors


def rule_files(directory: str | Path) -> list[Path]:
    """The ruleset files of a rules directory (*.yaml / *.yml, not starting with _ or .)."""
    d = Path(directory)
    return sorted(p for p in d.iterdir()
                  if p.suffix in (".yaml", ".yml") and not p.name.startswith(("_", ".")) and p.is_file())


def load_directory(directory: str | Path, actions: ActionVocabulary | None = None, timezone: str | None = None,
                   warnings: list | None = None) -> tuple[dict[str, Ruleset], list[RulesError]]:
    """Parse and validate every ruleset file of a directory; collect all errors (see load_file).

    ``warnings``: a list that receives every file's warnings (see load_file).
    """
    d = Path(directory)
    if not d.is_dir():
        return {}, [RulesError(str(d), 1, 1, "not_a_directory", f"rules directory {str(d)!r} does not exist",
                               "set OCMS_RULES_DIR to the folder holding the *.yaml rulesets")]
    rulesets: dict[str, Ruleset] = {}
    errors: list[RulesError] = []
    files = rule_files(d)
    if not files:
        errors.append(RulesError(str(d), 1, 1, "no_rulesets", "the rules directory holds no *.yaml ruleset"))
    for f in files:
        rs, errs = load_file(f, actions, display=_display(f), timezone=timezone, warnings=warnings)
        errors.extend(errs)
        if rs is None:
            continue
        if rs.name in rulesets:
            errors.append(RulesError(rs.file, 1, 1, "duplicate_ruleset",
                                     f"ruleset {rs.name!r} is also defined in {rulesets[rs.name].file}",
                                     "each ruleset name lives in one file", rs.name))
            continue
        rulesets[rs.name] = rs
    return rulesets, errors


def _display(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def directory_hash(directory: str | Path) -> str:
    """A content hash of every ruleset file of a directory (for reload bookkeeping)."""
    h = hashlib.sha256()
    d = Path(directory)
    if not d.is_dir():
        return ""
    for f in rule_files(d):
        h.update(f.name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
