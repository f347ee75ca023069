"""Transport parameters (``name=value;name=value``) as data, for ports and connections.

A port's ``secured`` and ``mutual_tls`` flags are views of its ``tls=1`` / ``tls-mutual=1`` transport
parameters (Genesys keeps them there): ``port_flags`` derives them, ``with_flag`` writes a flag into
the parameters, keeping every other parameter as typed. Pure functions: no database.
"""

from applications.validators import TransportParamsError, parse_transport_params

TLS = "tls"
TLS_MUTUAL = "tls-mutual"
ON = "1"


def params_dict(text: str) -> dict[str, str]:
    """The parameters as a dict; a text that does not parse (never stored: the forms validate) is none."""
    try:
        return dict(parse_transport_params(text))
    except TransportParamsError:
        return {}


def port_flags(text: str) -> tuple[bool, bool]:
    """(secured, mutual TLS) of a port with these parameters: ``tls=1``, and ``tls-mutual=1`` with it."""
    params = params_dict(text)
    secured = params.get(TLS) == ON
    return secured, secured and params.get(TLS_MUTUAL) == ON


def format_params(pairs) -> str:
    return ";".join(f"{name}={value}" for name, value in pairs)


def with_flag(text: str, name: str, on: bool) -> str:
    """``text`` with ``name=1`` (``on``) or without ``name`` (off); the other parameters unchanged, in
    their order. An existing ``name=1`` stays where it is."""
    try:
        pairs = parse_transport_params(text)
    except TransportParamsError:
        return text
    present = dict(pairs).get(name)
    if on and present == ON:
        return text
    if not on and present is None:
        return text
    if on:
        if present is None:
            pairs.append((name, ON))
        else:
            pairs = [(n, ON if n == name else v) for n, v in pairs]
    else:
        pairs = [(n, v) for n, v in pairs if n != name]
    return format_params(pairs)


def params_with_flags(text: str, secured: bool, mutual: bool) -> str:
    """The parameters saying these flags (what an old caller's ``secured=True`` means)."""
    return with_flag(with_flag(text, TLS, secured), TLS_MUTUAL, mutual and secured)
