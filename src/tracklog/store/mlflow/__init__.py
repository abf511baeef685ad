"""What only MLflow's REST API asks of a store (the server's ``mlflow_api`` routes use it)."""
