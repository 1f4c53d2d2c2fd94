"""A small FastAPI service that lets a chat model answer data questions by writing Python: a pattern that ships in
many LLM demos. The model's answer runs in the server process, so whoever steers the prompt runs code."""
import sqlite3

from fastapi import FastAPI
from openai import OpenAI

app = FastAPI()
client = OpenAI()
db = sqlite3.connect("runs.db", check_same_thread=False)


@app.get("/runs")
def runs(owner: str):
    # The query text is built from the request: owner = "x' OR '1'='1" reads every run.
    return db.execute(f"SELECT id, metric FROM runs WHERE owner = '{owner}'").fetchall()


@app.post("/ask")
def ask(question: str):
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write Python that answers: {question}"}],
    )
    code = reply.choices[0].message.content
    scope: dict = {}
    exec(code, scope)
    return {"answer": scope.get("answer")}
