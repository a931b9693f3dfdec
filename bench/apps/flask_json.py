"""A Flask JSON view, as in the framework's tutorial."""
from flask import Flask, jsonify

application = Flask(__name__)


@application.route('/')
def index():
    return jsonify(message='Hello, World!')
