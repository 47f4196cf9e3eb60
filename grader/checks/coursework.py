"""Check kinds of the lecture and assignment packs (issue #7).

Model facts come from the sandbox's summary (`ctx.summary`, or `ctx.artifact_summaries
[artifact]` for a second artifact); everything else is read from files (source by AST,
JSON, Markdown, PNG headers). Nothing here runs student code or opens a `.keras` file.
"""

from __future__ import annotations

from typing import Optional

from exercises import schema as s
from grader.checks import documents as docs
from grader.checks import runs as runs_mod
from grader.checks import source_facts as src
from grader.checks.accuracy import accuracy_of
from grader.checks.common import bounds_text, failed, missing, passed, result, within
from grader.checks.context import CheckContext
from grader.checks.registry import implements
from grader.checks.structural import find_backbone, model_layers, no_model
from grader.report import CheckResult, ModelSummary

NORMALISATION = ("Normalization", "BatchNormalization", "LayerNormalization", "GroupNormalization")


def _parsed(check, ctx: CheckContext, names: list[str]) -> tuple[list[src.Source], Optional[CheckResult]]:
    """Parse `names`; a missing or broken required file is the check's failure."""
    notebook = ctx.intake is not None and ctx.intake.notebook is not None
    sources = [_notebook_source(ctx) if name == "model.py" and notebook else
               src.read_source(ctx.submission, name) for name in names]
    broken = [source.error for source in sources if source.error and "missing" not in source.error]
    if broken:
        return sources, failed(check, broken[0])
    if all(source.tree is None for source in sources):
        return sources, failed(check, f"{', '.join(names)}: missing in {ctx.submission}")
    return sources, None


def _notebook_source(ctx: CheckContext) -> src.Source:
    """A notebook submission's code (plain Python, cells in order) in place of model.py."""
    import ast

    from grader.notebook import NotebookError
    from grader.notebook.reader import CodeCell
    from grader.notebook.syntax import to_python

    sub = ctx.intake
    path = ctx.submission / (sub.notebook or "notebook")
    if not sub.notebook_cells:
        return src.Source(path, error=sub.notebook_problem or f"{sub.notebook}: no code cells")
    try:
        code = "\n".join(to_python(CodeCell(number=c.index, source=c.source), sub.notebook).source
                         for c in sub.notebook_cells)
        return src.Source(path, tree=ast.parse(code))
    except NotebookError as exc:
        return src.Source(path, error=str(exc))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return src.Source(path, error=f"{sub.notebook}: its code cannot be parsed")


# ----------------------------------------------------------------------------- model facts


@implements(s.AugmentationCheck)
def augmentation(check: s.AugmentationCheck, ctx: CheckContext) -> CheckResult:
    want = "augmentation layers or a tf.data map"
    if ctx.summary is not None:
        classes = [c for layer in ctx.summary.layers for c in [layer.class_name, *layer.sublayer_classes]]
        layers = [c for c in classes if src.is_augmentation_layer(c)]  # nested models included
        if layers:
            return passed(check, f"augmentation layers in the model: {', '.join(layers)}", want, ", ".join(layers))
    sources, problem = _parsed(check, ctx, check.files)
    if problem:
        return problem
    evidence = [f"{source.path.name} {e}" for source in sources if source.tree for e in src.augmentation(source.tree)]
    if evidence:
        return passed(check, f"augmentation: {'; '.join(evidence[:3])}", want, evidence[0])
    return failed(
        check,
        "no data augmentation found: add layers such as RandomRotation/RandomTranslation at the "
        "start of the model, or map random image transformations over a tf.data pipeline",
        want,
        "none",
    )


def _artifact_summary(ctx: CheckContext, artifact: str) -> Optional[ModelSummary]:
    other = ctx.artifact_summaries.get(artifact)
    if other is not None:
        return other
    return ctx.summary if artifact == "model.keras" else None


@implements(s.TrainableLayersCheck)
def trainable_layers(check: s.TrainableLayersCheck, ctx: CheckContext) -> CheckResult:
    want = {"none": "backbone frozen", "some": "backbone (partly) unfrozen"}[check.backbone_trains]
    other = check.artifact != "model.keras"
    if ctx.mode == "check" and other:
        if not check.source:
            return result(check, "skipped", f"checked on {check.artifact} by `tutor grade {ctx.spec.id}`", want)
        sources, problem = _parsed(check, ctx, [check.source])
        if problem:
            return problem
        found = src.unfreezes(sources[0].tree)  # type: ignore[arg-type]
        if found:
            return passed(check, f"{check.source} unfreezes layers: {found[0]}", want, found[0])
        return failed(
            check,
            f"{check.source} never sets `.trainable = True`: fine-tuning unfreezes (the top of) the "
            "pretrained base before training again with a small learning rate",
            want,
            "no unfreezing",
        )
    found = ctx.intake.artifact(check.artifact) if ctx.intake is not None else None
    if ctx.mode == "grade" and other and found is None and not (ctx.submission / check.artifact).is_file():
        return failed(check, f"no {check.artifact} in {ctx.submission}: run your fine-tuning script to write it", want, "missing")
    summary = ctx.summary if ctx.mode == "check" else _artifact_summary(ctx, check.artifact)
    refused = ctx.artifact_errors.get(check.artifact)
    if summary is None and refused:
        return failed(check, refused, want, "not opened")
    if summary is None:
        if ctx.mode == "grade" and other:
            return result(check, "error", f"tutor grade did not summarise {check.artifact}", want)
        return no_model(check, ctx)
    backbone = find_backbone(summary, check.backbone)
    if backbone is None:
        return failed(check, f"{check.artifact}: no pretrained sub-model found: use the base model as one layer", want, "none")
    unfrozen = backbone.sublayers - backbone.frozen_sublayers
    got = f"{check.artifact}: {unfrozen}/{backbone.sublayers} backbone layers train, {summary.trainable_params:,} trainable params"
    if check.backbone_trains == "none" and (unfrozen or backbone.trainable_params):
        return failed(check, f"{got}: freeze the base (`base.trainable = False`) for the run without fine-tuning", want, got)
    if check.backbone_trains == "some" and not (unfrozen and backbone.trainable_params):
        return failed(check, f"{got}: unfreeze (the top of) the base for the fine-tuning run", want, got)
    return passed(check, got, want, got)


@implements(s.WeightedLayersCheck)
def weighted_layers(check: s.WeightedLayersCheck, ctx: CheckContext) -> CheckResult:
    if ctx.summary is None:
        return no_model(check, ctx)
    counted = [
        layer
        for layer in model_layers(ctx.summary)
        if layer.params > 0 and not layer.class_name.endswith(NORMALISATION)
    ]
    got = len(counted)
    nested = [layer.name for layer in counted if layer.sublayers]
    want = bounds_text(check.exact, check.min, check.max)
    detail = f"{got} layers with weights ({', '.join(sorted({c.class_name for c in counted})) or 'none'})"
    if nested:
        detail += f"; {', '.join(nested)} is a nested model counted as one"
    if within(got, check.exact, check.min, check.max):
        return passed(check, detail, want, got)
    return failed(check, f"{detail}, want {want}", want, got)


@implements(s.NoPretrainedWeightsCheck)
def no_pretrained_weights(check: s.NoPretrainedWeightsCheck, ctx: CheckContext) -> CheckResult:
    want = "trained from scratch"
    sources, problem = _parsed(check, ctx, check.files)
    if problem:
        return problem
    found = [f"{source.path.name} {e}" for source in sources if source.tree for e in src.pretrained_weights(source.tree)]
    if found:
        return failed(check, f"pretrained weights are loaded ({found[0]}): pass weights=None and train from scratch", want, found[0])
    return passed(check, f"no pretrained weights in {', '.join(check.files)}", want, "none loaded")


def _summary_compile(summary: Optional[ModelSummary]) -> tuple[Optional[str], Optional[str]]:
    if summary is None or summary.optimizer is None:
        return None, summary.loss if summary else None
    return str(summary.optimizer.get("class_name") or "") or None, summary.loss


@implements(s.CompileSettingsCheck)
def compile_settings(check: s.CompileSettingsCheck, ctx: CheckContext) -> CheckResult:
    wanted = {"optimizer": check.optimizer, "loss": check.loss}
    want = ", ".join(f"{k}={v}" for k, v in wanted.items() if v)
    optimizer, loss = _summary_compile(ctx.summary)
    if optimizer is None or loss is None:
        sources, problem = _parsed(check, ctx, [check.file])
        if problem:
            return problem
        found = src.compile_settings(sources[0].tree)  # type: ignore[arg-type]
        if not found:
            return failed(check, f"{check.file} never calls model.compile(...)", want, "no compile()")
        optimizer = optimizer or found[-1]["optimizer"]
        loss = loss or found[-1]["loss"]
    got_values = {"optimizer": optimizer, "loss": loss}
    got = ", ".join(f"{k}={v}" for k, v in got_values.items() if wanted[k])
    for key, value in wanted.items():
        if value and src.normalise_name(got_values[key] or "") != src.normalise_name(value):
            return failed(check, f"compile() uses {key}={got_values[key] or '?'}, the task asks for {value}", want, got)
    return passed(check, f"compiled with {got}", want, got)


@implements(s.LrScheduleCheck)
def lr_schedule(check: s.LrScheduleCheck, ctx: CheckContext) -> CheckResult:
    want = "LR schedule" + (" or Lookahead" if check.allow_lookahead else "")
    if ctx.summary is not None and ctx.summary.optimizer:
        config = ctx.summary.optimizer.get("config") or {}
        name = str(ctx.summary.optimizer.get("class_name", ""))
        if isinstance(config.get("learning_rate"), dict):
            schedule = config["learning_rate"].get("class_name", "a schedule")
            return passed(check, f"{name} with learning-rate schedule {schedule}", want, schedule)
        if check.allow_lookahead and "lookahead" in name.lower():
            return passed(check, f"optimizer {name}", want, name)
    sources, problem = _parsed(check, ctx, check.files)
    if problem:
        return problem
    found: list[str] = []
    for source in sources:
        if source.tree is not None:
            evidence = src.lr_schedule(source.tree, callbacks_count=source.path.name != "model.py")
            found += [f"{source.path.name} {e}" for e in evidence]
    if not check.allow_lookahead:
        found = [e for e in found if "lookahead" not in e.lower()]
    if found:
        return passed(check, "; ".join(found[:2]), want, found[0])
    return failed(
        check,
        "no learning-rate schedule found: give the optimizer e.g. "
        "learning_rate=keras.optimizers.schedules.PiecewiseConstantDecay(...)"
        + (" or implement Lookahead" if check.allow_lookahead else ""),
        want,
        "constant learning rate",
    )


@implements(s.FitCallbacksCheck)
def fit_callbacks(check: s.FitCallbacksCheck, ctx: CheckContext) -> CheckResult:
    want = f"fit(callbacks=[{', '.join(check.callbacks)}])"
    sources, problem = _parsed(check, ctx, [check.file])
    if problem:
        return problem
    handed = src.fit_callbacks(sources[0].tree)
    if handed is None:
        return failed(check, f"{check.file} never calls fit(): train the model in it", want, "no fit()")
    given = [handed[src.normalise_name(c)] for c in check.callbacks if src.normalise_name(c) in handed]
    absent = [c for c in check.callbacks if src.normalise_name(c) not in handed]
    got = f"{len(given)} of {len(check.callbacks)}"
    if absent:
        return failed(check, f"{check.file}: fit() is not given {', '.join(absent)}: create it and pass "
                      f"callbacks=[keras.callbacks.{absent[0]}(...)] to fit()", want, got,
                      len(given) / len(check.callbacks))
    return passed(check, f"{check.file}: " + "; ".join(given), want, got)


@implements(s.OverfittingCheck)
def overfitting(check: s.OverfittingCheck, ctx: CheckContext) -> CheckResult:
    want = f"train acc - test acc >= {check.min_gap:.2f}"
    if ctx.mode == "check":
        return result(check, "skipped", f"needs the trained model: `tutor grade {ctx.spec.id}`", want)
    try:
        record = runs_mod.load_record(ctx.submission, check.record)
    except docs.DocumentError as exc:
        return failed(check, f"{exc}: train with `tutor train {ctx.spec.id}` first", want, "no record")
    train_acc = record.final("accuracy")
    test_acc = accuracy_of(ctx.evaluation) if ctx.evaluation is not None else None
    if train_acc is None or test_acc is None:
        unknown = "training accuracy (compile with metrics=['accuracy'])" if train_acc is None else "test accuracy"
        return failed(check, f"cannot compare: no {unknown}", want, "unknown")
    gap = train_acc - test_acc
    got = f"train {train_acc:.3f}, test {test_acc:.3f} (gap {gap:+.3f})"
    if gap >= check.min_gap:
        return passed(check, f"overfits as expected: {got}", want, got)
    return failed(check, f"{got}: the model does not overfit the small training set; train longer", want, got)


# ----------------------------------------------------------------------------- documents


@implements(s.MarkdownSectionsCheck)
def markdown_sections(check: s.MarkdownSectionsCheck, ctx: CheckContext) -> CheckResult:
    want = f"{len(check.sections)} sections, >= {check.min_words} words each"
    try:
        found = docs.sections(docs.read_text(ctx.submission, check.file))
    except docs.DocumentError as exc:
        if not (ctx.submission / check.file).exists():
            return missing(check, str(exc), want, "not handed in")
        return failed(check, str(exc), want, "missing")
    absent = [name for name in check.sections if docs.find_section(found, name) is None]
    thin = [
        f"{name} ({section.words} words)"
        for name in check.sections
        if (section := docs.find_section(found, name)) and section.words < check.min_words
    ]
    share = 1 - (len(absent) + len(thin)) / len(check.sections)
    if absent:
        return failed(check, f"{check.file}: missing section(s): {', '.join(absent)}", want,
                      f"missing {len(absent)}", share)
    if thin:
        return failed(check, f"{check.file}: still to write: {', '.join(thin)}", want, f"{len(thin)} unfinished", share)
    return passed(check, f"{check.file}: all {len(check.sections)} sections written", want, "complete")


@implements(s.HardwareReportCheck)
def hardware_report(check: s.HardwareReportCheck, ctx: CheckContext) -> CheckResult:
    want = "CPU model/count/clock" + (", GPU model/memory, job id" if check.require_gpu else "")
    try:
        report = docs.hardware_report(ctx.submission, check.file)
    except docs.DocumentError as exc:
        return failed(check, f"{exc}: submit the collector job (`tutor submit {ctx.spec.id}`)", want, "missing")
    cpu = report.cpu
    clock = cpu.max_clock_mhz or cpu.clock_mhz
    got = f"{cpu.model}, {cpu.logical_cpus} CPUs" + (f" @ {clock:.0f} MHz" if clock else "")
    if report.gpus:
        got += "; " + ", ".join(f"{g.name} ({g.memory_mib or '?'} MiB)" for g in report.gpus)
    if clock is None:
        return failed(check, f"{check.file}: no CPU clock speed recorded", want, got)
    if check.require_gpu:
        if not report.gpus:
            return failed(check, f"{check.file}: no GPU recorded ({got}): collect it inside a GPU job, not on the login node", want, got)
        if any(g.memory_mib is None for g in report.gpus):
            return failed(check, f"{check.file}: GPU memory missing", want, got)
        if not report.slurm_job_id:
            return failed(check, f"{check.file}: not collected inside a SLURM job (no job id)", want, got)
    return passed(check, got, want, got)


@implements(s.HistoryPlotCheck)
def history_plot(check: s.HistoryPlotCheck, ctx: CheckContext) -> CheckResult:
    want = f"PNG >= {check.min_width}x{check.min_height}" + (", validation history" if check.record else "")
    if ctx.mode == "check" and not (ctx.submission / check.file).exists():
        return result(check, "skipped", f"{check.file} comes after training: `python plot_history.py`", want)
    try:
        width, height = docs.png_size(ctx.submission, check.file)
    except docs.DocumentError as exc:
        return failed(check, f"{exc}: save the plot with plt.savefig('{check.file}')", want, "missing")
    got = f"{width}x{height} PNG"
    if width < check.min_width or height < check.min_height:
        return failed(check, f"{check.file} is only {got}: make the figure readable", want, got)
    if check.record:
        try:
            record = runs_mod.load_record(ctx.submission, check.record)
        except docs.DocumentError as exc:
            return failed(check, f"{exc}: train with `tutor submit {ctx.spec.id}` to record the history", want, got)
        if not any(key.startswith("val_") for key in record.history):
            return failed(check, f"{check.record} has no validation history: the recipe's validation_split records it", want, got)
        got += f", {record.epochs_run} epochs with validation"
    return passed(check, got, want, got)


@implements(s.ComparisonTableCheck)
def comparison_table(check: s.ComparisonTableCheck, ctx: CheckContext) -> CheckResult:
    command = f"tutor compare {ctx.spec.id}"
    want = f"table of {', '.join(check.runs)} (>= {check.min_rows} rows)"
    try:
        rows = runs_mod.parse_table(docs.read_text(ctx.submission, check.file))
    except docs.DocumentError as exc:
        return failed(check, f"{exc}: generate it with `{command}`", want, "missing")
    if rows is None:
        return failed(check, f"{check.file} has no table generated by tutor: run `{command}`", want, "no table")
    missing = [task for task in check.runs if not any(r["run"].split(" ")[0] == task for r in rows)]
    if missing:
        return failed(check, f"{check.file}: no recorded run of {', '.join(missing)}: train it, then `{command}`", want, f"{len(rows)} rows")
    incomplete = [r["run"] for r in rows if not (runs_mod.is_number(r["trainable params"]) and runs_mod.is_number(r["training time (s)"]))]
    if incomplete:
        return failed(check, f"{check.file}: no parameter count or training time for {', '.join(incomplete)}", want, f"{len(rows)} rows")
    if len(rows) < check.min_rows:
        return failed(check, f"{check.file}: only {len(rows)} run(s), want {check.min_rows}", want, f"{len(rows)} rows")
    return passed(check, f"{len(rows)} recorded runs compared", want, f"{len(rows)} rows")
