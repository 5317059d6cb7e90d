"""The benchmark's prompt strings, byte for byte as PROTOCOL.md defines them.

They are part of the benchmark's definition: changing one changes what the numbers mean.
"""

from __future__ import annotations

# MCQA template T1 (Qwen, LLaVA family, LLaVA-Med, GPT-4o, Claude, text-only).
T1 = (
    "\n{question}\n\nPlease select the best answer from the following options:\n{options}\n\n"
    "Your task:\n"
    "1. Think through the question, enclose your reasoning process in <think>...</think> tags.\n"
    "2. Then provide the correct single-letter choice (A, B, C, D, E, F, ...) inside <answer>...</answer> tags.\n"
    "Example of the expected format:\n"
    "<think>This is my thought.</think>\n"
    "<answer>Correct letter.</answer>\n"
)

# MCQA template T2 (MedGemma).
T2 = (
    "\n{question}\n\nPlease select the best answer from the following options:\n{options}\n\n"
    "Your task:\n"
    "1. Think through the question step by step, enclose your reasoning process in <think>...</think> tags.\n"
    "2. Then provide the correct single-letter choice (A, B, C, D, E, ...) inside <answer>...</answer> tags.\n"
    "Example of the expected format:\n"
    "<think>This is my thought.</think>\n"
    "<answer>X</answer>\n"
)

# The [L] lines Llama-3.2-Vision adds after T2.
T2_LLAMA_ADDITION = "Alternatively:\nThe correct answer is X.\n"
T2L = T2 + T2_LLAMA_ADDITION

# System prompts.
S1 = (
    "You are an expert medical professional with extensive knowledge in medical imaging, "
    "diagnosis, and clinical practice."
)
S2 = "You are a highly skilled physician and an excellent writer."

# Text-only model, open format: P0 (0-shot) and P1 (ICL: head, one line per example, task).
P0 = (
    "You are an expert medical question-answering system. "
    'Your task is to provide an answer to the following question: "{q}".'
)
P1_HEAD = (
    "You are an expert medical question-answering system. "
    "Here are some examples of questions and associated answers: \n"
)
P1_EXAMPLE = "{q} {a}\n"
P1_TASK = 'Your task is to provide an answer to the following question: "{q}".'

# Text-only model, MCQA: a frame around T1.
TEXT_MCQA_0SHOT_HEAD = (
    "You are an expert medical question-answering system. "
    "Your task is to provide an answer to the following multiple-choice question: \n\n"
)
TEXT_MCQA_ICL_HEAD = (
    "You are an expert medical question-answering system. "
    "Here are some examples of questions and associated answers: \n\n"
)
TEXT_MCQA_EXAMPLE = "Question: {q}\nAnswer: {a}\n\n"
TEXT_MCQA_ICL_TASK = "Now, your task is to provide an answer to the following multiple-choice question: \n\n"

# Text-only model, MCQA: the follow-up sent when nothing could be read in the first reply, and how
# the two replies are joined into the one text that is recorded and read again.
F1 = (
    "Based on your analysis above, what is your final answer? Please respond with just the letter "
    "(A, B, C, etc.) of the correct option. Format your answer as: <answer>X</answer> where X is the letter."
)
FOLLOW_UP_JOIN = "{reply}\n\nUser: {follow_up}\n\nAssistant: {second}"

# MedVLM-R1: ICL examples as text (k counts from 1), then the query.
MEDR1_EXAMPLE = "Example {k}:\nQuestion: {q}\nAnswer: {a}\n\n"
MEDR1_QUERY = "Now answer this question:\n{query}"
MEDR1_MCQA = (
    "\n{Q}\n\n"
    "Your task:\n"
    "1. Think through the question step by step, enclose your reasoning process in <think>...</think> tags.\n"
    "2. Then provide the correct single-letter choice (A, B, C, D,...) inside <answer>...</answer> tags.\n"
    "3. No extra information or text outside of these tags.\n"
)

# The templates a profile can name for a question with options ("{question}", "{options}").
MCQA_TEMPLATES: dict[str, str] = {"T1": T1, "T2": T2, "T2L": T2L}
