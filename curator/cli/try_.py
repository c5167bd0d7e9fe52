"""curator try: send one input to a model (and another with --vs) and print both answers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import platformdirs

from curator.cli.common import add_thinking_argument
from curator.cli.models import add_backend_arguments, backend_from_args, fail, workspace_for
from curator.core.backends import GenerationConfig
from curator.core.errors import CuratorError
from curator.core.evaluation.cache import PredictionCache, cached_generate
from curator.core.models import ModelRef
from curator.core.settings import load_settings
from curator.core.storage.workspace import Workspace

SCRATCH = Path(platformdirs.user_data_dir("curator")) / "scratch"  # local base models need no dataset

DESCRIPTION = (
    "Send INPUT to MODEL, written backend:model (local:local-echo, gemini-api:gemini-2.5-flash,\n"
    "vertex:projects/.../endpoints/...; a bare name is a local model). With --vs, the same prompt goes to a\n"
    "second model. The production template (--template, else the settings' template) is applied to both.\n"
    "Answers come from the prediction cache the evaluations share when the same request was answered before\n"
    "(same model, prompt and settings); --no-cache asks again."
)
EPILOG = """exit codes:
  0  every model answered
  1  a model failed (its reason is printed in place of its answer)
  2  bad arguments or an unreadable FILE"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="backend:model")
    parser.add_argument("input", metavar="INPUT", help="the input text")
    parser.add_argument("--vs", metavar="MODEL", help="a second model to compare with")
    parser.add_argument("--file", help="a dataset whose workspace holds local tuned models (and whose settings apply)")
    parser.add_argument("--template", help="production template, e.g. 'Classify.\\nquestion: {question}' "
                                           "(\\n for a line break; 'none' sends INPUT as it is)")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-output-tokens", type=int, default=256)
    add_thinking_argument(parser)
    add_backend_arguments(parser, choose=False)
    parser.add_argument("--no-cache", action="store_true", help="ask the models even when the same request was "
                                                                 "answered before (the answer is not kept either)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def run(args: argparse.Namespace) -> int:
    from curator.core.backends.thinking import token_note
    from curator.core.template import parse_template

    try:
        refs = [ModelRef.parse(args.model)] + ([ModelRef.parse(args.vs)] if args.vs else [])
        source = args.template
        if source is None and args.file:
            source = load_settings(args.file).template
        prompt = args.input
        if source and source != "none":
            prompt = parse_template(source.replace("\\n", "\n")).apply(args.input)
        config = GenerationConfig(temperature=args.temperature, seed=args.seed,
                                  max_output_tokens=args.max_output_tokens, thinking_budget=args.thinking)
        problems = config.problems()
        if problems:
            raise CuratorError("; ".join(problems.values()))
        # local models and the prediction cache live in a dataset's workspace (else a scratch one)
        workspace = workspace_for(args.file) if args.file else Workspace(SCRATCH)
    except CuratorError as e:
        return fail(e)
    cache = None if args.no_cache else PredictionCache(workspace)
    results = []
    for ref in refs:
        try:
            backend = backend_from_args(ref.backend, args, workspace)
            generation, cached, seconds = cached_generate(cache, backend, ref.backend, ref.model, prompt, config)
            results.append({"model": str(ref), "text": generation.text, "seconds": seconds, "cached": cached,
                            "prompt_tokens": generation.prompt_tokens, "output_tokens": generation.output_tokens,
                            "thinking_tokens": generation.thinking_tokens,
                            "finish_reason": generation.finish_reason})
        except CuratorError as e:
            results.append({"model": str(ref), "error": e.reason})
    if args.json:
        json.dump({"prompt": prompt, "answers": results}, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        if prompt != args.input:
            print(f"prompt: {prompt!r}\n")
        for r in results:
            if "error" in r:
                print(f"── {r['model']} · failed\n{r['error']}\n")
            else:
                tokens = token_note(r["prompt_tokens"], r["output_tokens"], r["thinking_tokens"])
                took = f"cached (took {r['seconds'] * 1000:,.0f} ms)" if r["cached"] else f"{r['seconds'] * 1000:,.0f} ms"
                cut = (f" · cut at {args.max_output_tokens:,} output tokens (thinking included)"
                       if r["finish_reason"] == "MAX_TOKENS" else "")
                print(f"── {r['model']} · {took}{tokens}{cut}\n{r['text']}\n")
    return 1 if any("error" in r for r in results) else 0

