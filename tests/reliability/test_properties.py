"""Property-based tests: signatures survive the MLmodel file, and URI parsers take any text.

(tests/signature/test_signature.py checks dict and JSON round trips of schemas and MLflow's reading
of them; here the signature goes through a real model folder on disk, and malformed JSON is
thrown at the reader.)
"""

from __future__ import annotations

import json
import string
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autolog.errors import (
    AutologError,
    InvalidNameError,
    ModelFolderError,
    NotFoundError,
    StoreError,
)
from autolog.loading import resolve_model_uri
from autolog.model.folder import ModelSpec, read_model_folder, write_model_folder
from autolog.registry.records import check_alias, check_model_name
from autolog.signature import Schema, Signature
from autolog.stores import parse_store_uri
from autolog.uris import parse_model_uri
from tests.signature.test_signature import schemas

RELAXED = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture])


def _count(tally, name: str, how: str) -> None:
    """Count one hypothesis example (a failing one fails the test, which is what counts)."""
    case = tally.case("bad input", name, how)
    with case.trial():
        pass


@RELAXED
@given(inputs=schemas(), outputs=st.one_of(st.none(), schemas()))
def test_signature_survives_the_mlmodel_file(inputs, outputs, tmp_path_factory, tally):
    sig = Signature(inputs, outputs)
    target = tmp_path_factory.mktemp("sig") / "model"
    spec = ModelSpec(flavors={"test": {"data": "model.bin"}},
                     pyfunc={"loader_module": "none"}, files={"model.bin": b"x"},
                     signature=sig)
    write_model_folder(target, spec, run_id=None)
    assert read_model_folder(target).signature() == sig
    _count(tally, "property: signature JSON through the MLmodel file",
           "hypothesis: random column and tensor schemas written to a model folder, read back")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["type", "name", "required", "tensor-spec", "dtype",
                                       "shape", "x"]) | st.text(max_size=5), children,
                      max_size=4),
    max_leaves=12,
)


@RELAXED
@given(inputs=st.one_of(_json.map(json.dumps), st.text()), outputs=st.one_of(
    st.none(), _json.map(json.dumps)))
def test_malformed_signature_json_is_a_clear_error(inputs, outputs, tally):
    try:
        Signature.from_dict({"inputs": inputs, "outputs": outputs})
    except ModelFolderError:
        pass
    _count(tally, "property: arbitrary JSON as a signature",
           "hypothesis: random JSON documents and text as signature inputs/outputs: a "
           "Signature or ModelFolderError, nothing else")


_name_chars = string.ascii_letters + string.digits + " ._-"
_valid_names = st.text(_name_chars, min_size=1, max_size=40).filter(
    lambda n: n == n.strip() and not n.startswith(".") and ".." not in n)
_valid_aliases = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True).filter(
    lambda a: a.lower() != "latest")


@RELAXED
@given(name=_valid_names, version=st.integers(min_value=1, max_value=10**12),
       alias=_valid_aliases)
def test_model_uris_round_trip(name, version, alias, tally):
    assert parse_model_uri(f"models:/{name}/{version}") == (name, "version", version)
    assert parse_model_uri(f"models:/{name}@{alias}") == (name, "alias", alias)
    assert parse_model_uri(f"models:/{name}/latest") == (name, "latest", None)
    _count(tally, "property: models:/ URIs round trip",
           "hypothesis: valid names, versions and aliases")


@RELAXED
@given(text=st.one_of(st.text(), st.text().map(lambda t: "models:/" + t)))
def test_any_text_as_model_uri(text, tally):
    try:
        name, kind, value = parse_model_uri(text)
    except InvalidNameError:
        pass
    else:
        assert check_model_name(name) == name
        assert kind in ("version", "alias", "latest")
        if kind == "version":
            assert isinstance(value, int) and value >= 1
        elif kind == "alias":
            assert check_alias(value) == value
    _count(tally, "property: any text as a models:/ URI",
           "hypothesis: random text: a valid (name, kind, value) or InvalidNameError")


@pytest.fixture
def one_run(store):
    """A store with one logged model (the current store of the test)."""
    from sklearn.tree import DecisionTreeClassifier

    import autolog
    from tests.reliability.workloads import iris

    DecisionTreeClassifier(max_depth=1).fit(*iris())
    autolog.flush()
    return store, autolog.search_runs()[0].run_id


_segment = st.one_of(st.sampled_from(["..", ".", "", "model", "/", "etc", "passwd", "~",
                                      "~no-such-user-x", "\x00"]),
                     st.text(max_size=8))


@RELAXED
@given(parts=st.lists(_segment, max_size=5), scheme=st.sampled_from(["runs:/", "models:/",
                                                                     "file://", ""]),
       use_run=st.booleans())
def test_any_text_as_load_uri(parts, scheme, use_run, one_run, tally):
    store, run_id = one_run
    text = scheme + "/".join(([run_id] if use_run and scheme == "runs:/" else []) + parts)
    root = Path(store.root).resolve()
    try:
        path = resolve_model_uri(text)
    except (AutologError, ValueError) as exc:
        assert isinstance(exc, (InvalidNameError, NotFoundError, StoreError, ValueError))
        assert str(exc)
    else:
        if scheme in ("runs:/", "models:/"):
            assert root in path.resolve().parents, f"{text!r} resolved outside the store: {path}"
    # Counted only once the example passed its checks.
    _count(tally, "property: any text as a load_model URI",
           "hypothesis: runs:/, models:/, file:// and bare paths built from '..', '/', '~' "
           "and random segments: a path (inside the store for runs:/ and models:/) or a "
           "clear error")


_uri_text = st.text(string.printable + "[]\x00\u00e9", max_size=20)


@RELAXED
@given(text=st.one_of(st.text(), st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["", "file:", "file://", "file:///", "http://", "https://[", "mlflow+http://",
                     "C:\\", "~/", "s3://"]), _uri_text)))
def test_any_text_as_store_uri(text, tally):
    try:
        scheme, location = parse_store_uri(text)
    except AutologError:
        pass
    else:
        assert scheme == scheme.lower() and isinstance(location, str)
    _count(tally, "property: any text as a store URI",
           "hypothesis: random text: (scheme, location) or a ConfigError")


_path_parts = st.lists(st.text(string.ascii_letters + string.digits + " %#?&=+@:._-", min_size=1,
                               max_size=10).filter(lambda p: p not in (".", "..")),
                       min_size=1, max_size=4)


@RELAXED
@given(parts=_path_parts)
def test_store_paths_round_trip(parts, tally):
    path = str(PurePosixPath("/", *parts))
    assert parse_store_uri(path) == ("file", path)
    assert parse_store_uri("file://" + quote(path)) == ("file", path)
    _count(tally, "property: store paths and file:// URIs round trip",
           "hypothesis: absolute paths with %, #, ?, &, spaces and colons")


def test_schema_equality_is_not_vacuous():
    """The properties above compare real objects (a guard against a trivially-true __eq__)."""
    a = Schema.from_json('[{"type": "long", "name": "a"}]')
    b = Schema.from_json('[{"type": "double", "name": "a"}]')
    assert a != b
