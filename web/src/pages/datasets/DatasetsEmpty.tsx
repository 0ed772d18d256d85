// What the datasets list says before any dataset exists: how to publish a first one.
import { Empty } from "../../components/feedback";

const SDK = `from corral import Dataset

ds = Dataset.create(dataset_name="parking", dataset_project="data")
ds.add_files("images/")          # hashed here; only new content is uploaded
ds.upload()
ds.finalize()                    # listed here, version 1.0.0`;

const CLI = `corral dataset create --project data --name parking
corral dataset add --files images/
corral dataset close             # upload and finalize`;

export function DatasetsEmpty() {
  return (
    <Empty title="No datasets yet">
      <p>Publish a folder as a dataset version from Python:</p>
      <pre className="code datasets-snippet">{SDK}</pre>
      <p>or from a shell:</p>
      <pre className="code datasets-snippet">{CLI}</pre>
    </Empty>
  );
}
